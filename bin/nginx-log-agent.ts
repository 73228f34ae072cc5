/**
 * The entry of our agent, bundled by `npm run build` into one self-contained file (`dist/agent/nginx-log-agent.js`,
 * AWS SDK inside) that systemd runs on the web host:
 *
 *   node nginx-log-agent.js --config /etc/nginx-log-agent/config.json
 *   node nginx-log-agent.js --systemd-unit          prints the systemd unit
 *
 * SIGTERM or SIGINT: stop reading, send what was read, write the checkpoints, publish the last metrics, exit 0.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runLogAgent } from '../pipeline/agent/agent';
import { resolveLogAgentConfig } from '../pipeline/agent/config';
import { AGENT_PATHS } from '../pipeline/agent/defaults';
import { systemdUnit } from '../pipeline/agent/systemd';

const USAGE = `usage: node nginx-log-agent.js [--config FILE] | --systemd-unit

  --config FILE    the configuration from \`npm run agent-config -- aws\` (default ${AGENT_PATHS.config})
  --systemd-unit   print the systemd unit and exit`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: AGENT_PATHS.config },
      'systemd-unit': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values['systemd-unit']) {
    process.stdout.write(systemdUnit());
    return 0;
  }
  let text: string;
  try {
    text = readFileSync(values.config, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the configuration ${values.config} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); write it with npm run agent-config -- aws`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${values.config} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const config = resolveLogAgentConfig(json, values.config);
  const controller = new AbortController();
  const onSignal = (signal: string) => () => {
    if (controller.signal.aborted) return;
    process.stderr.write(`nginx-log-agent: ${signal}: sending what was read, then stopping\n`);
    controller.abort();
  };
  process.on('SIGTERM', onSignal('SIGTERM'));
  process.on('SIGINT', onSignal('SIGINT'));
  await runLogAgent(config, { signal: controller.signal });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`nginx-log-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
