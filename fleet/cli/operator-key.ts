import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseCommandArgs } from '../../appliance/cli/args.js';
import { EXIT, type CliContext } from '../../appliance/cli/context.js';
import { operatorName } from '../../protocol/command.js';
import { generateSigningKeyPair, keyId, savePrivateKey, savePublicKey } from '../../protocol/keys.js';
import { fleetUsage, reportCommandError } from './command.js';
import { commandError, commandMessages } from './command-messages.js';

/** Folder where a device looks for operator keys unless `keys.operatorKeysDir` sets another. */
const DEVICE_OPERATOR_DIR = '/var/lib/facegate/keys/operators';

/**
 * `facegate fleet operator-key create --out DIR [--name NAME]`: make an operator's Ed25519 key
 * pair, `<name>.private.pem` (mode 0600, stays with the operator) and `<name>.public.pem` (copied
 * to each device, where its file name makes it the key of operator `<name>`).
 */
export async function runOperatorKey(context: CliContext, argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== 'create') throw fleetUsage('usage.fleet.operator-key-action');
  const { values, positionals } = parseCommandArgs('fleet', rest, { out: { type: 'string' }, name: { type: 'string' } }, true);
  if (positionals.length > 0) throw fleetUsage('usage.fleet.operator-key-arguments', { arguments: positionals.join(' ') });
  if (values.out === undefined) throw fleetUsage('usage.fleet.operator-key-out');
  const name = values.name ?? os.userInfo().username;

  try {
    if (!operatorName.safeParse(name).success) throw commandError('fleet.operator_key.name', { name });
    const privateFile = path.resolve(values.out, `${name}.private.pem`);
    const publicFile = path.resolve(values.out, `${name}.public.pem`);
    for (const file of [privateFile, publicFile]) {
      if (fs.existsSync(file)) throw commandError('fleet.operator_key.exists', { file });
    }
    fs.mkdirSync(path.resolve(values.out), { recursive: true, mode: 0o700 });
    const pair = generateSigningKeyPair();
    savePrivateKey(privateFile, pair.privateKey);
    savePublicKey(publicFile, pair.publicKey);

    const t = commandMessages.translator(context.locale);
    context.stdout.write(`${t('operator-key.created', { name, kid: keyId(pair.publicKey) })}\n`);
    context.stdout.write(`${t('operator-key.private', { file: privateFile })}\n`);
    context.stdout.write(`${t('operator-key.public', { file: publicFile, deviceDir: DEVICE_OPERATOR_DIR })}\n`);
    return EXIT.ok;
  } catch (error) {
    return reportCommandError(context, error);
  }
}
