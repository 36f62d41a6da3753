import { seededRandom } from './random';

test('the seeded generator gives the same sequence for a seed (the drift tests\' and bench\'s data depend on it), in [0, 1)', () => {
  const rand = seededRandom(42);
  expect([rand(), rand(), rand()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  const other = seededRandom(7);
  const values = Array.from({ length: 1000 }, other);
  expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
  expect(values[0]).not.toBe(0.6011037519201636);
});
