/**
 * The `tributary` command table: serve, validate, services, service, proxy-status, peers, register,
 * deregister, heartbeat. The CLI only composes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { registryFactories } from '../../registries/index.js';
import { loadTokens } from '../auth/tokens.js';
import { loadConfig } from '../config/load.js';
import { renderConfigReference, spliceReference } from '../config/reference.js';
import { TributaryError, describeError } from '../errors.js';
import { createLogger } from '../observability/log.js';
import { registerProxyStatusCommand } from './commands/proxy-status.js';
import { registerPeersCommand } from './commands/peers.js';
import { registerRegistrationCommands } from './commands/register.js';
import { registerServiceCommand } from './commands/service.js';
import { registerServicesCommand } from './commands/services.js';
import { startDaemon } from './serve.js';
import { checkSources } from './validate.js';

const STOP_GRACE_MS = 10_000;

function reportAndExit(error: unknown, code: number): void {
  const prefix = error instanceof TributaryError ? `${error.code}: ` : '';
  process.stderr.write(`tributary: ${prefix}${describeError(error)}\n`);
  process.exitCode = code;
}

async function serve(options: { config?: string }): Promise<void> {
  const config = await loadConfig(options.config, registryFactories);
  const logger = createLogger(config.log.level);
  const daemon = await startDaemon(config, logger);
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, STOP_GRACE_MS).unref();
    daemon.stop().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => reportAndExit(error, 1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

async function validate(file: string | undefined): Promise<void> {
  const config = await loadConfig(file, registryFactories);
  await loadTokens(config.auth, config.baseDir);
  const problems = await checkSources(config, registryFactories);
  const name = file ?? 'embedded default';
  if (problems.length > 0) {
    process.stderr.write(
      `${name}: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `${name}: OK (${config.sources.length} source(s): ${config.sources.map((s) => s.id).join(', ')})\n`,
  );
}

const program = new Command('tributary')
  .description('Service-discovery aggregator: many registries, one catalog, served as xDS and REST.')
  .showHelpAfterError();

program
  .command('serve')
  .description('Run the daemon (embedded default config when --config is not given).')
  .option('-c, --config <file>', 'YAML configuration file', process.env.TRIBUTARY_CONFIG)
  .action((options: { config?: string }) =>
    serve(options).catch((error: unknown) => reportAndExit(error, 2)),
  );

program
  .command('validate')
  .description('Check a config file and every VM file its sources point at; exit 1 on any problem.')
  .argument('[file]', 'YAML configuration file (default: the embedded default)')
  .action((file: string | undefined) =>
    validate(file).catch((error: unknown) => {
      process.stderr.write(`${describeError(error)}\n`);
      process.exitCode = 1;
    }),
  );

program
  .command('config-reference')
  .description('Print the configuration reference (markdown), or splice it into a README with --write.')
  .option('--write <file>', 'replace the generated section of this markdown file')
  .action(async (options: { write?: string }) => {
    const section = renderConfigReference(registryFactories);
    if (!options.write) {
      process.stdout.write(`${section}\n`);
      return;
    }
    const readme = await readFile(options.write, 'utf8');
    await writeFile(options.write, spliceReference(readme, section));
  });

registerServicesCommand(program);
registerServiceCommand(program);
registerProxyStatusCommand(program);
registerPeersCommand(program);
registerRegistrationCommands(program);

await program.parseAsync(process.argv);
