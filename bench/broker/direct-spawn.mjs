// Baseline of bench/broker: spawn `bash -c true` COUNT times with execa, CONCURRENCY at a time; print the ms taken.
import { execa } from 'execa';

const count = Number(process.argv[2] ?? 400);
const concurrency = Number(process.argv[3] ?? 2);
await execa('bash', ['-c', 'true']);
const start = performance.now();
let next = 0;
const lane = async () => {
  while (next < count) {
    next += 1;
    await execa('bash', ['-c', 'true'], { reject: false, stdin: 'ignore' });
  }
};
await Promise.all(Array.from({ length: concurrency }, lane));
console.log(Math.round(performance.now() - start));
