process.env.TBP_TEST_BACKEND = 'memory';
process.env.BCRYPT_ROUNDS ??= '10';
