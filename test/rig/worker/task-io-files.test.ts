import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { outputWritten, readImages, readTextInputs, shellIo, writeOutput } from '../../../rig/src/worker/task-io.js';
import { leasedTask } from '../../helpers/task.js';

const made: string[] = [];
afterEach(() => {
  for (const path of made.splice(0)) rmSync(path, { recursive: true, force: true });
});
const dir = (): string => {
  const path = mkdtempSync(join(tmpdir(), 'rigmind-io-'));
  made.push(path);
  return path;
};

const task = leasedTask;

describe("a task's files on the worker", () => {
  it('reads text inputs from the task cwd, and names the input and path of any that cannot be used', async () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'a.txt'), 'héllo');
    writeFileSync(join(cwd, 'bin.dat'), Buffer.from([0xff, 0xfe, 0x00]));
    mkdirSync(join(cwd, 'folder'));
    const read = (file: string, max = 100) => readTextInputs(task({ cwd, inputs: { doc: { file } } }), max);
    expect(await read('a.txt')).toEqual({ ok: true, value: [{ name: 'doc', content: 'héllo' }] });
    expect(await read('a.txt', 5)).toMatchObject({
      ok: false,
      code: 'input_too_large',
      message: `input 'doc': ${join(cwd, 'a.txt')} is 6 bytes, over the limit of 5`,
    });
    expect(await read('none.txt')).toMatchObject({ ok: false, code: 'input_missing' });
    expect(await read('a.txt/x')).toMatchObject({ ok: false, code: 'input_missing' });
    expect(await read('folder')).toMatchObject({ ok: false, code: 'input_unreadable' });
    expect(await read('bin.dat')).toMatchObject({
      ok: false,
      code: 'input_unreadable',
      message: `input 'doc': ${join(cwd, 'bin.dat')} is not UTF-8 text`,
    });
  });

  it('reads images as base64 under their own limit', async () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'f.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(await readImages(task({ cwd, images: ['f.png'] }), 4)).toEqual({ ok: true, value: ['iVBORw=='] });
    expect(await readImages(task({ cwd, images: ['f.png'] }), 3)).toMatchObject({ code: 'input_too_large' });
  });

  it('gives a shell task its inputs and output as variables, folders allowed, the output folder made', async () => {
    const cwd = dir();
    mkdirSync(join(cwd, 'frames'));
    const shell = task({
      type: 'shell',
      task_class: 'cpu',
      cwd,
      inputs: { frames: { file: 'frames' } },
      output: 'out/deep/list.txt',
    });
    expect(await shellIo(shell)).toEqual({
      ok: true,
      value: { RIGMIND_INPUT_FRAMES: join(cwd, 'frames'), RIGMIND_OUTPUT: join(cwd, 'out/deep/list.txt') },
    });
    expect(await outputWritten(shell)).toMatchObject({ ok: false, code: 'output_missing' });
    expect(await writeOutput(shell, 'x')).toEqual({ ok: true, value: undefined });
    expect(await outputWritten(shell)).toEqual({ ok: true, value: undefined });
    expect(await shellIo(task({ cwd, inputs: { gone: { file: 'gone' } } }))).toMatchObject({ code: 'input_missing' });
    writeFileSync(join(cwd, 'file'), '');
    expect(await writeOutput(task({ cwd, output: 'file/under-a-file.txt' }), 'x')).toMatchObject({
      code: 'output_unwritable',
    });
  });
});
