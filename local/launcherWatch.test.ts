import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brokenLink, isNpm, parentInStat } from './launcherWatch.js';

describe('parentInStat', () => {
  it('reads the fourth field of /proc/<pid>/stat', () => {
    assert.equal(parentInStat('4242 (node) S 4200 4242 4200 0 -1 4194560 1000'), 4200);
  });

  it('is not fooled by spaces and parentheses in the command name', () => {
    assert.equal(parentInStat('4242 (npm (run) x) S 17 4242 4200 0'), 17);
  });

  it('gives undefined for text that is not a stat line', () => {
    assert.equal(parentInStat(''), undefined);
    assert.equal(parentInStat('4242 (node) S'), undefined);
  });
});

describe('isNpm', () => {
  it('knows npm by its title or its command line', () => {
    assert.equal(isNpm('npm start'), true);
    assert.equal(isNpm('npm run start'), true);
    assert.equal(isNpm('npm'), true);
    assert.equal(isNpm('node /usr/bin/npm start --ignore-scripts'), true);
    assert.equal(isNpm('/usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js start'), true);
  });

  it('does not take other commands for npm', () => {
    assert.equal(isNpm('bash'), false);
    assert.equal(isNpm('node dist/local/start.js'), false);
    assert.equal(isNpm('pnpm start'), false);
    assert.equal(isNpm('node /work/npm-tools/run.js'), false);
    assert.equal(isNpm(''), false);
  });
});

describe('brokenLink', () => {
  const links = [
    { pid: 30, parent: 20 },
    { pid: 20, parent: 10 },
  ];

  it('finds none while every process keeps its parent', () => {
    const parents = new Map([
      [30, 20],
      [20, 10],
    ]);
    assert.equal(
      brokenLink(links, (pid) => parents.get(pid)),
      undefined,
    );
  });

  it('finds a process that was reparented, as when its parent was killed', () => {
    const parents = new Map([
      [30, 20],
      [20, 1],
    ]);
    assert.deepEqual(
      brokenLink(links, (pid) => parents.get(pid)),
      { pid: 20, parent: 10 },
    );
  });

  it('finds a process that is gone', () => {
    assert.deepEqual(
      brokenLink(links, (pid) => (pid === 30 ? 20 : undefined)),
      { pid: 20, parent: 10 },
    );
  });
});
