import { PropsValidator } from './errors';
import { InstanceUse, MlInstanceType } from '../instance-type';

const WHAT: Record<InstanceUse, string> = {
  [InstanceUse.TRAINING]: 'training jobs',
  [InstanceUse.PROCESSING]: 'processing jobs',
  [InstanceUse.HOSTING]: 'endpoints',
  [InstanceUse.TRANSFORM]: 'batch transform jobs',
};

/** Records a problem when SageMaker does not accept `type` for `use` (the table's lists differ per use). */
/** `where` prefixes the message, e.g. "variant 'AllTraffic':". */
export function checkInstanceUse(v: PropsValidator, prop: string, type: MlInstanceType | undefined, use: InstanceUse, where?: string): void {
  if (!type || type.supports(use)) return;
  const others = Object.values(InstanceUse).filter((u) => type.supports(u)).map((u) => WHAT[u]);
  v.check(true, `${where ? `${where} ` : ''}'${prop}' (${type.name}) cannot run ${WHAT[use]}: SageMaker accepts it for ${others.join(', ')} only; `
    + `choose a type listed for ${WHAT[use]}, e.g. ${use === InstanceUse.HOSTING ? 'ml.g5.xlarge or ml.m5.large' : 'ml.g5.xlarge or ml.m5.xlarge'}`);
}
