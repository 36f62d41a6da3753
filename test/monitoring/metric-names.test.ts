/**
 * The construct (lib/monitoring/private/metric-names.ts) and the handlers (lambda/drift-core) name
 * the same metrics in two places: jsii compiles lib/ alone, so lib cannot import the handlers' code.
 * These tests fail when one side renames a namespace, a metric or a malformed kind and the other does
 * not, which would leave the alarms watching metrics nobody publishes.
 */
import * as emf from '../../lambda/drift-core/emf';
import { DriftReport } from '../../lambda/drift-core/types';
import * as types from '../../lambda/drift-core/types';
import { DriftStatistic } from '../../lib/monitoring/drift-statistics';
import { DATASET_METRICS, DRIFT_NAMESPACE, MALFORMED_KINDS, QUALITY_NAMESPACE } from '../../lib/monitoring/private/metric-names';

function publishedNames(report: Partial<DriftReport>): { namespaces: Set<string>; metrics: Set<string>; kinds: Set<string> } {
  const lines = emf.driftMetrics({
    status: 'ok', records: 10, rows: 10,
    features: [
      { name: 'age', type: 'numeric', psi: 0.2, jensenShannon: 0.1, missingRateChange: 0, ks: 0.1, wasserstein: 0.1 },
      { name: 'plan', type: 'categorical', psi: 0.2, jensenShannon: 0.1, missingRateChange: 0, chiSquare: 3, chiSquarePValue: 0.2 },
    ], malformed: { total: 0 }, malformedSamples: {},
    dataset: { driftedShare: 0.5, datasetDrift: true }, prediction: { psi: 0.1, jensenShannon: 0.1 }, ...report,
  } as unknown as DriftReport, 'ep', 'AllTraffic', undefined, 0);
  const docs = lines.map((l) => JSON.parse(l));
  return {
    namespaces: new Set(docs.flatMap((d) => d._aws.CloudWatchMetrics.map((m: any) => m.Namespace))),
    metrics: new Set(docs.flatMap((d) => d._aws.CloudWatchMetrics.flatMap((m: any) => m.Metrics.map((x: any) => x.Name)))),
    kinds: new Set(docs.filter((d) => d.Kind !== undefined).map((d) => d.Kind)),
  };
}

describe('the construct and the handlers name the same metrics', () => {
  test('the namespaces are the handlers\'', () => {
    expect(DRIFT_NAMESPACE).toBe(emf.DRIFT_NAMESPACE);
    expect(QUALITY_NAMESPACE).toBe(emf.QUALITY_NAMESPACE);
    expect(publishedNames({}).namespaces).toEqual(new Set([DRIFT_NAMESPACE]));
  });

  test('every dataset metric the alarms and the dashboard read is one the handlers publish', () => {
    const published = publishedNames({}).metrics;
    for (const name of Object.values(DATASET_METRICS)) expect({ name, published: published.has(name) }).toEqual({ name, published: true });
  });

  test('every drift statistic a feature alarm watches is a metric the handlers publish per feature', () => {
    const published = publishedNames({}).metrics;
    for (const name of Object.values(DriftStatistic)) expect({ name, published: published.has(name) }).toEqual({ name, published: true });
  });

  test('the malformed kinds the construct accepts are the ones the handlers count', () => {
    expect([...MALFORMED_KINDS]).toEqual([...types.MALFORMED_KINDS]);
    expect(publishedNames({}).kinds).toEqual(new Set(MALFORMED_KINDS));
  });
});
