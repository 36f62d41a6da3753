/** Every example synthesizes through the real CDK CLI and passes cfn-lint: part 3 of 4, so that the gate is not one long file (test/helpers/gates.ts). */
import { describeExamplesGate } from './helpers/gates';

describeExamplesGate(2, 4);
