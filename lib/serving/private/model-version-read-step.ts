import { ModelVersionParameter } from '../model-version-parameter';

/** The file the read step writes: `{ "<parameterKey>": "<value>" }`, read back with `Fn::GetParam`. */
export const MODEL_VERSIONS_FILE = 'model-versions.json';

/** The folder whose files become the read step's output artifact. */
export const READ_OUTPUT_DIRECTORY = 'model-versions';

/** How the read step waits for a stack that another update (a promotion, a `cdk deploy`) is changing. */
export interface ReadWait {
  /** Reads of a busy stack before the step fails. */
  readonly polls: number;
  /** Seconds between them. */
  readonly intervalSeconds: number;
}

/** 30 minutes, half of a CodeBuild step's default timeout of an hour. */
export const DEFAULT_READ_WAIT: ReadWait = { polls: 90, intervalSeconds: 20 };

/**
 * The shell commands of the read step. They assume the stack's deploy role (named by the
 * environment), read the stack's parameters, and write one value per key: the stack's own, or
 * `none` when the stack or the parameter does not exist yet. Any other error fails the step.
 *
 * A stack in `*_IN_PROGRESS` shows the parameters of an update that may still roll back (a
 * promotion whose endpoint fails): carried into the change set, they would deploy the failed
 * version again. So the step reads again until the stack settles, and fails when it does not
 * within `wait`. `REVIEW_IN_PROGRESS` (a change set never executed) does not change by itself
 * and holds no promoted value: it is read at once.
 */
export function readCommands(wait: ReadWait = DEFAULT_READ_WAIT): string[] {
  return [
    'set -eu',
    'aws configure set profile.target.role_arn "$DEPLOY_ROLE_ARN"',
    'aws configure set profile.target.credential_source EcsContainer',
    `mkdir -p ${READ_OUTPUT_DIRECTORY}`,
    `for poll in $(seq 1 ${wait.polls}); do `
      // A stack that does not exist is the one answer that means "no version yet".
      + 'if aws cloudformation describe-stacks --profile target --region "$STACK_REGION" --stack-name "$STACK_NAME" --output json > stack.json 2> error.txt; then :; '
      + 'elif grep -q "does not exist" error.txt; then echo \'{"Stacks": []}\' > stack.json; else cat error.txt >&2; exit 1; fi; '
      + `status=$(python3 -c "${STATUS_READER}" stack.json); `
      + 'case "$status" in REVIEW_IN_PROGRESS) break;; *_IN_PROGRESS) ;; *) break;; esac; '
      + `if [ "$poll" -lt ${wait.polls} ]; then echo "$STACK_NAME is $status; reading it again in ${wait.intervalSeconds} s"; sleep ${wait.intervalSeconds}; fi; `
      + 'done',
    'case "$status" in REVIEW_IN_PROGRESS) ;; *_IN_PROGRESS) '
      + `echo "$STACK_NAME was still $status after ${(wait.polls - 1) * wait.intervalSeconds} s, so its model versions may yet roll back; retry the stage when the stack has finished updating" >&2; exit 1;; esac`,
    `python3 -c "${PYTHON_WRITER}" stack.json "${READ_OUTPUT_DIRECTORY}/${MODEL_VERSIONS_FILE}" $PARAMETER_KEYS`,
    `cat "${READ_OUTPUT_DIRECTORY}/${MODEL_VERSIONS_FILE}"`,
  ];
}

/** Prints the stack's status from DescribeStacks output ('' when there is no stack). */
const STATUS_READER = [
  'import json, sys',
  'stacks = json.load(open(sys.argv[1]))[\'Stacks\']',
  'print(stacks[0][\'StackStatus\'] if stacks else \'\')',
].join('; ').replace(/"/g, '\\"');

/** Writes {key: value} for each key from DescribeStacks output; 'none' where the stack or key is missing. */
const PYTHON_WRITER = [
  'import json, sys',
  'stacks = json.load(open(sys.argv[1]))[\'Stacks\']',
  'found = {p[\'ParameterKey\']: p.get(\'ParameterValue\') for p in (stacks[0].get(\'Parameters\', []) if stacks else [])}',
  `json.dump({k: found.get(k) or '${ModelVersionParameter.NONE}' for k in sys.argv[3:]}, open(sys.argv[2], 'w'))`,
].join('; ').replace(/"/g, '\\"');
