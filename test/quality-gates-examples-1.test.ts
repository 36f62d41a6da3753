/** Every example synthesizes through the real CDK CLI and passes cfn-lint: part 1 of 2, so both jest workers share the gate (test/helpers/gates.ts). */
import { describeExamplesGate } from './helpers/gates';

describeExamplesGate(0, 2);
