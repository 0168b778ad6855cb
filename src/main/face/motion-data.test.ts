import { describe, expect, it } from 'vitest';
import { selectPerformers } from './motion-data';

describe('selectPerformers', () => {
  const known = [...Array.from({ length: 24 }, (_, i) => String(i + 1).padStart(2, '0')), 'A1', '01'];

  it('reads ids and ranges, numbers matched by value against the ids the labels spell, names exactly', () => {
    expect([...selectPerformers('17-24', known)]).toEqual(['17', '18', '19', '20', '21', '22', '23', '24']);
    expect([...selectPerformers('3, 5,7-8', known)]).toEqual(['03', '05', '07', '08']);
    expect([...selectPerformers('01-02,A1', known)]).toEqual(['01', '02', 'A1']);
  });

  it('refuses specs it cannot read and specs that match no performer', () => {
    expect(() => selectPerformers('17..24', known)).toThrow(/"17\.\.24" is neither an id nor a range/);
    expect(() => selectPerformers('01;02', known)).toThrow(/"01;02" is neither an id nor a range/);
    expect(() => selectPerformers('24-17', known)).toThrow(/the range 24-17 runs backwards/);
    expect(() => selectPerformers(' , ', known)).toThrow(/names no performer/);
    expect(() => selectPerformers('30-40', known)).toThrow(/match none of the folder's: 01, 02/);
  });
});
