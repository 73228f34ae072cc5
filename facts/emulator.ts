/**
 * What AWS emulators (the embedded ones, LocalStack, moto) expect from a client: the same values in the provider
 * settings, the SDK clients, agent.json and the local runtime's ARNs.
 */

/**
 * Credentials every emulator accepts; never used against AWS.
 *
 * Not frozen: the AWS SDK tags the credentials object it is given, so callers pass a copy.
 */
export const EMULATOR_CREDENTIALS: { readonly accessKeyId: string; readonly secretAccessKey: string } = {
  accessKeyId: 'test',
  secretAccessKey: 'test',
};

/** The account id emulators report, used to build ARNs the synthesized JSON only holds as references. */
export const EMULATOR_ACCOUNT_ID = '000000000000';
