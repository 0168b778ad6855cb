// The per-machine choice of conv weight-gradient patterns: the cases a run's graphs ask for, timing
// them, the machine's and the run's tables, and graphs built with the chosen patterns.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as G from '../graph';
import { PRESETS } from '../model/config';
import { buildStepGraphs } from './step-runner';
import { readPatternTable, tablePolicy, thisMachine, timeWeightGradCase, tuneWeightGrads, weightGradCasesOf } from './weight-grad-tuning';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ganimation-patterns-'));
const tinyCases = () => weightGradCasesOf((emission) => buildStepGraphs({ preset: PRESETS.tiny, batchSize: 2, emission }, ['main+gp']));

/** The ops of a graph holding one weight gradient of this case. */
function opsOf(c: G.WeightGradCase, emission: G.GraphEmission): string[] {
  const graph = new G.Graph('case', emission);
  const x = graph.input('x', 'float32', c.input);
  const w = graph.param('w', [c.outputGrad[1], c.input[1], ...c.kernel]);
  const y = G.conv(x, w, null, { pads: c.pads, strides: c.strides });
  const [dw] = G.backward(G.reduceSum(G.mul(y, y)), [w]);
  graph.output('dw', dw);
  return graph.nodes.map((n) => n.op);
}

describe('weight-gradient tuning', () => {
  it('lists every distinct weight gradient of a run\'s step graphs once, with static sizes', () => {
    const cases = tinyCases();
    expect(cases.length).toBeGreaterThan(3);
    const keys = cases.map(G.weightGradCaseKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const c of cases) {
      expect(c.input[0]).toBe(2);
      expect(c.outputGrad[0]).toBe(2);
    }
  });

  it('times each candidate and picks the fastest', async () => {
    const c: G.WeightGradCase = { input: [2, 8, 16, 16], outputGrad: [2, 4, 16, 16], kernel: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1], dtype: 'float32' };
    const entry = await timeWeightGradCase(c);
    expect(Object.keys(entry.ms).sort()).toEqual(['conv', 'im2col', 'output-taps', 'per-tap']);
    for (const ms of Object.values(entry.ms)) expect(ms).toBeGreaterThan(0);
    expect(entry.ms[entry.pattern]).toBe(Math.min(...Object.values(entry.ms)));
    const oneTap = await timeWeightGradCase({ ...c, kernel: [1, 1], pads: [0, 0, 0, 0] });
    expect(Object.keys(oneTap.ms).sort()).toEqual(['conv', 'im2col']);
    // A strided conv's dy cannot be shifted into the input's frame as it is.
    const strided = await timeWeightGradCase({ ...c, outputGrad: [2, 4, 8, 8], strides: [2, 2] });
    expect(Object.keys(strided.ms).sort()).toEqual(['conv', 'im2col', 'per-tap']);
  });

  it('measures once per machine, keeps a run\'s choices, and re-measures for another machine or a broken table', async () => {
    const dir = tmp();
    const machineTable = path.join(dir, 'cache', 'weight-grad-patterns.json');
    const cases = tinyCases().slice(0, 3);
    const first = await tuneWeightGrads(cases, { machineTable, runTable: path.join(dir, 'run-a.json') });
    expect(first).toMatchObject({ measured: 3, known: 0 });
    expect(readPatternTable(machineTable)?.machine).toEqual(thisMachine());

    const second = await tuneWeightGrads(cases, { machineTable, runTable: path.join(dir, 'run-b.json') });
    expect(second).toMatchObject({ measured: 0, known: 3 });
    expect(second.table.cases).toEqual(first.table.cases);

    // A run's own table wins over the machine's: its graphs stay as they were built.
    const runTable = path.join(dir, 'run-a.json');
    const forced = readPatternTable(runTable)!;
    const key = G.weightGradCaseKey(cases[0]);
    const other = forced.cases[key].pattern === 'conv' ? 'im2col' : 'conv';
    fs.writeFileSync(runTable, JSON.stringify({ ...forced, cases: { ...forced.cases, [key]: { ...forced.cases[key], pattern: other } } }));
    expect((await tuneWeightGrads(cases, { machineTable, runTable })).table.cases[key].pattern).toBe(other);

    const table = readPatternTable(machineTable)!;
    fs.writeFileSync(machineTable, JSON.stringify({ ...table, machine: { ...table.machine, cpu: 'another CPU' } }));
    expect(await tuneWeightGrads(cases, { machineTable, runTable: path.join(dir, 'run-c.json') })).toMatchObject({ measured: 3 });
    expect(readPatternTable(machineTable)?.machine.cpu).toBe(thisMachine().cpu);

    // A machine table of version 1 was timed without the output-taps candidate: measured again. A
    // run's own version-1 table is kept, so a resumed run keeps its graphs.
    const v1 = { ...readPatternTable(machineTable)!, version: 1 };
    fs.writeFileSync(machineTable, JSON.stringify(v1));
    expect(await tuneWeightGrads(cases, { machineTable, runTable: path.join(dir, 'run-e.json') })).toMatchObject({ measured: 3 });
    fs.writeFileSync(runTable, JSON.stringify({ ...readPatternTable(runTable)!, version: 1 }));
    expect(await tuneWeightGrads(cases, { machineTable, runTable })).toMatchObject({ measured: 0, known: 3 });

    fs.writeFileSync(machineTable, '{ not json');
    expect(readPatternTable(machineTable)).toBeNull();
    expect(await tuneWeightGrads(cases, { machineTable, runTable: path.join(dir, 'run-d.json') })).toMatchObject({ measured: 3 });
    expect(fs.readdirSync(path.join(dir, 'cache'))).toEqual(['weight-grad-patterns.json']);
  });

  it('builds each weight gradient with the pattern its table names', () => {
    const c: G.WeightGradCase = { input: [2, 4, 8, 8], outputGrad: [2, 3, 8, 8], kernel: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1], dtype: 'float32' };
    const tableOf = (pattern: G.ConcreteWeightGradPattern) => ({
      format: 'ganimation-weight-grad-patterns' as const, version: 2 as const, machine: thisMachine(), cases: { [G.weightGradCaseKey(c)]: { pattern, ms: {} } },
    });
    const gemms = (pattern: G.ConcreteWeightGradPattern) => opsOf(c, { weightGrad: tablePolicy(tableOf(pattern)) }).filter((op) => op === 'Gemm').length;
    expect(gemms('per-tap')).toBe(9);
    expect(gemms('im2col')).toBe(1);
    expect(gemms('conv')).toBe(0);
    expect(gemms('output-taps')).toBe(1);
    expect(opsOf(c, { weightGrad: tablePolicy(tableOf('output-taps')) }).filter((op) => op === 'Pad')).toHaveLength(10);
    // A case the table does not hold gets the size rule: a small im2col.
    expect(opsOf({ ...c, input: [2, 4, 9, 9], outputGrad: [2, 3, 9, 9] }, { weightGrad: tablePolicy(tableOf('conv')) }).filter((op) => op === 'Gemm')).toHaveLength(1);
  });
});
