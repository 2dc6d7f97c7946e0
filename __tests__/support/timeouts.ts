// How long a test may take before it counts as hung. Jest's default, 5 s, is for a quiet machine: on a busy
// one (other runs, CPU-bound neighbours) a test takes many times longer, and a server shared with them more so.
jest.setTimeout(process.env.TBP_TEST_BACKEND === 'postgres' ? 60_000 : 30_000);
