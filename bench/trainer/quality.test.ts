import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { qualityReport } from './quality.js';

describe('qualityReport', () => {
  const actual = [10, 20, 30, 200];
  const report = qualityReport({
    actual,
    groups: ['a', 'b', 'c', 'd'],
    predictions: {
      // Two fold-assignment seeds: per-row errors 2,2,0,10 and 4,2,0,10, so 3,2,0,10 on average.
      model: [
        [12, 18, 30, 190],
        [14, 18, 30, 210],
      ],
      median: [[20, 20, 20, 20]],
      physics: [[10, 20, 30, 100]],
      linear: [[11, 21, 31, 201]],
    },
  });

  it('averages each row over the seeds, then takes MAE, median AE, MAE up to 150 IBU and log MAE', () => {
    const m = report.models.model;
    assert.equal(m.mae.value, 15 / 4);
    assert.equal(m.medianAe.value, 2.5);
    assert.equal(m.maeUpTo150.value, 5 / 3);
    assert.equal(report.models.median.mae.value, 50);
    assert.equal(report.models.physics.mae.value, 25);
    assert.equal(report.models.physics.maeLog.value, Math.abs(Math.log(101) - Math.log(201)) / 4);
    assert.equal(report.rows, 4);
    assert.equal(report.groups, 4);
  });

  it('compares the model with the best baseline, row by row', () => {
    assert.equal(report.bestBaseline, 'linear');
    // Row differences 2, 1, −1, 9.
    assert.equal(report.diffVsBest.value, 11 / 4);
    const [low, high] = report.diffVsBest.ci95;
    assert.ok(low >= -1 && low <= 11 / 4 && high >= 11 / 4 && high <= 9, `${low}, ${high}`);
  });

  it('reports each run alone: its MAE and its difference from the best baseline', () => {
    // Run 1: errors 2,2,0,10 (MAE 3.5); run 2: 4,2,0,10 (MAE 4). Linear's errors are 1,1,1,1.
    assert.deepEqual(
      report.perRun.map((run) => run.mae),
      [14 / 4, 16 / 4],
    );
    assert.deepEqual(
      report.perRun.map((run) => run.diffVsBest.value),
      [10 / 4, 12 / 4],
    );
  });
});
