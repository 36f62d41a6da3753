import { ModelVersionParameter } from '../model-version-parameter';

/** The file the read step writes: `{ "<parameterKey>": "<value>" }`, read back with `Fn::GetParam`. */
export const MODEL_VERSIONS_FILE = 'model-versions.json';

/** The folder whose files become the read step's output artifact. */
export const READ_OUTPUT_DIRECTORY = 'model-versions';

/**
 * The shell commands of the read step. They assume the stack's deploy role (named by the
 * environment), read the stack's parameters, and write one value per key: the stack's own, or
 * `none` when the stack or the parameter does not exist yet. Any other error fails the step.
 */
export function readCommands(): string[] {
  return [
    'set -eu',
    'aws configure set profile.target.role_arn "$DEPLOY_ROLE_ARN"',
    'aws configure set profile.target.credential_source EcsContainer',
    `mkdir -p ${READ_OUTPUT_DIRECTORY}`,
    // A stack that does not exist is the one answer that means "no version yet".
    'if aws cloudformation describe-stacks --profile target --region "$STACK_REGION" --stack-name "$STACK_NAME" --output json > stack.json 2> error.txt; then :; '
      + 'elif grep -q "does not exist" error.txt; then echo \'{"Stacks": []}\' > stack.json; else cat error.txt >&2; exit 1; fi',
    `python3 -c "${PYTHON_WRITER}" stack.json "${READ_OUTPUT_DIRECTORY}/${MODEL_VERSIONS_FILE}" $PARAMETER_KEYS`,
    `cat "${READ_OUTPUT_DIRECTORY}/${MODEL_VERSIONS_FILE}"`,
  ];
}

/** Writes {key: value} for each key from DescribeStacks output; 'none' where the stack or key is missing. */
const PYTHON_WRITER = [
  'import json, sys',
  'stacks = json.load(open(sys.argv[1]))[\'Stacks\']',
  'found = {p[\'ParameterKey\']: p.get(\'ParameterValue\') for p in (stacks[0].get(\'Parameters\', []) if stacks else [])}',
  `json.dump({k: found.get(k) or '${ModelVersionParameter.NONE}' for k in sys.argv[3:]}, open(sys.argv[2], 'w'))`,
].join('; ').replace(/"/g, '\\"');
