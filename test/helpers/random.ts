/**
 * A small seeded generator (mulberry32, the one lambda/drift-core/baseline.ts samples with), so a test's
 * or a benchmark's generated data is the same on every run and a failure reproduces.
 */
export { seededRandom } from '../../lambda/drift-core/baseline';
