process.env.TBP_TEST_BACKEND = 'postgres';
process.env.BCRYPT_ROUNDS ??= '10';
