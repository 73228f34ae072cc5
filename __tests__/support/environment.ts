import NodeEnvironment from 'jest-environment-node';

type Frames = NodeJS.CallSite[];

/** V8's own format: the header line, then one `at` line per frame. */
function v8Format(captured: unknown, frames: Frames): string {
  const { name = 'Error', message = '' } = (captured ?? {}) as { name?: unknown; message?: unknown };
  const header = message === '' ? String(name) : `${String(name)}: ${String(message)}`;
  return header + frames.map((frame) => `\n    at ${String(frame)}`).join('');
}

/**
 * jest's node environment, except that a stack captured on a plain object (not an Error) is formatted as V8 does by
 * default instead of being source-mapped by jest.
 *
 * cdktf captures the whole stack of every token it creates on such an object (shown only if the token later fails to
 * resolve), thousands per synth; jest maps every frame of each through the source maps, which cost about as much as the
 * synth itself. Errors, thrown or not, keep jest's source-mapped stacks: they are handed to jest's formatter.
 */
export default class TestEnvironment extends NodeEnvironment {
  constructor(...args: ConstructorParameters<typeof NodeEnvironment>) {
    super(...args);
    const TestRealmError = this.global.Error;
    // The test's realm has no formatter of its own, so Node falls back to jest's on this realm's Error: read it at
    // call time, as Node does (jest installs it per test file).
    TestRealmError.prepareStackTrace = (captured: unknown, frames: Frames): string => {
      const jestFormat = Error.prepareStackTrace;
      const isError = captured instanceof TestRealmError || captured instanceof Error;
      return isError && jestFormat !== undefined ? (jestFormat(captured, frames) as string) : v8Format(captured, frames);
    };
  }
}
