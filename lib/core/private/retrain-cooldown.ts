import { Duration } from 'aws-cdk-lib';
import { PropsValidator } from './errors';

/**
 * Checks a retraining cooldown under the name the user gave it (`prop`): the retraining gate waits
 * it out, plus an hour's margin, in one Standard execution, which may run at most a year.
 */
export function checkRetrainCooldown(v: PropsValidator, prop: string, cooldown: Duration): void {
  const seconds = cooldown.toSeconds();
  v.checkResolved([seconds], () => !Number.isInteger(seconds) || seconds < 60 || seconds > Duration.days(364).toSeconds(),
    `'${prop}' (${cooldown.toHumanString()}) must be whole seconds between 1 minute and 364 days (the retraining gate waits it out in one execution, which may run at most a year); e.g. Duration.days(30)`);
}
