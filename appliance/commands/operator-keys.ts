import { createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FacegateError, errorMessage } from '../common/errors.js';
import { operatorName, type RegisteredOperator } from '../../protocol/command.js';
import { assertSigningKey, keyId } from '../../protocol/keys.js';

/**
 * The operator public keys a device accepts commands from. Each key is a PEM (SPKI) file named
 * after its operator: `ops-lee.public.pem` or `ops-lee.pem` installs the key of operator `ops-lee`,
 * and a command signed with it must name that operator.
 */

export interface OperatorKeySources {
  /** Folder of `<operator>.public.pem` files. */
  dir: string;
  /** Whether a missing folder is an error (it was configured) or means no keys (the default folder). */
  dirRequired: boolean;
  /** Further key files, named the same way. */
  files: readonly string[];
}

export interface InstalledOperator extends RegisteredOperator {
  kid: string;
  file: string;
}

const PUBLIC_PEM_BLOCK = /^-----BEGIN PUBLIC KEY-----\r?\n[\s\S]*?^-----END PUBLIC KEY-----\r?$/gm;
/** Any PEM label of a private key: PKCS #8 (also encrypted), SEC 1, PKCS #1 and OpenSSH. */
const PRIVATE_PEM_LABEL = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

export class OperatorKeyring {
  private readonly byKid = new Map<string, InstalledOperator>();

  constructor(operators: Iterable<InstalledOperator> = []) {
    for (const operator of operators) this.add(operator);
  }

  /**
   * Load every key; throws FacegateError `commands.operator_key_*` naming the file, because a key
   * the operator believes installed but the device ignores would fail every command silently.
   */
  static load(sources: OperatorKeySources): OperatorKeyring {
    const keyring = new OperatorKeyring();
    for (const file of [...listFolder(sources.dir, sources.dirRequired), ...sources.files]) keyring.add(loadOperatorKey(file));
    return keyring;
  }

  /** Signer lookup for verifyCommand. */
  readonly resolve = (kid: string): RegisteredOperator | undefined => this.byKid.get(kid);

  operators(): InstalledOperator[] {
    return [...this.byKid.values()];
  }

  private add(operator: InstalledOperator): void {
    const other = this.byKid.get(operator.kid);
    if (other !== undefined) {
      throw new FacegateError('commands.operator_key_duplicate', `Operator key files ${other.file} and ${operator.file} hold the same key (kid ${operator.kid}).`, {
        hint: 'Keep one file per operator key; remove the copy.',
        params: { file: operator.file, other: other.file, kid: operator.kid },
      });
    }
    const sameName = this.operators().find((installed) => installed.name === operator.name);
    if (sameName !== undefined) {
      throw new FacegateError('commands.operator_name_duplicate', `Operator key files ${sameName.file} and ${operator.file} are both named for operator ${operator.name}.`, {
        hint: 'Give each operator one key file; to rotate a key, replace the old file instead of adding a second one.',
        params: { file: operator.file, other: sameName.file, operator: operator.name },
      });
    }
    this.byKid.set(operator.kid, operator);
  }
}

/** Operator name from a key file name: `ops-lee.public.pem` and `ops-lee.pem` both give `ops-lee`. */
export function operatorNameFromFile(file: string): string {
  return path.basename(file).replace(/(\.public)?\.pem$/i, '');
}

function listFolder(dir: string, required: boolean): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new FacegateError('commands.operator_dir_unreadable', `Cannot read the operator key folder ${dir}: ${errorMessage(error)}.`, {
      hint: 'Create the folder (it may be empty) or correct keys.operatorKeysDir.',
      params: { dir, detail: errorMessage(error) },
      cause: error,
    });
  }
  return names
    .filter((name) => name.toLowerCase().endsWith('.pem'))
    .sort()
    .map((name) => path.join(dir, name));
}

function loadOperatorKey(file: string): InstalledOperator {
  const name = operatorNameFromFile(file);
  if (!operatorName.safeParse(name).success) {
    throw new FacegateError('commands.operator_key_name', `Operator key file ${file} gives the operator name ${JSON.stringify(name)}, which is not valid.`, {
      hint: 'Name the file <operator>.public.pem, with 1 to 64 characters from A-Z a-z 0-9 . _ @ - as the operator name.',
      params: { file, name },
    });
  }
  let publicKey: KeyObject;
  try {
    // createPublicKey also accepts a private key and derives its public half, and it reads the
    // first block it can use, so the file must contain one public key block and no private key.
    const text = fs.readFileSync(file, 'utf8');
    if (PRIVATE_PEM_LABEL.test(text)) throw new Error('it contains a private key, and a private key must never be copied to a device');
    const blocks = text.match(PUBLIC_PEM_BLOCK) ?? [];
    if (blocks.length === 0) throw new Error('it contains no "PUBLIC KEY" PEM block; a private key must never be copied to a device');
    if (blocks.length > 1) throw new Error(`it contains ${blocks.length} "PUBLIC KEY" PEM blocks, expected one key per file`);
    publicKey = createPublicKey(blocks[0]!);
    assertSigningKey(publicKey, 'public', `operator key of ${name}`);
  } catch (error) {
    throw new FacegateError('commands.operator_key_invalid', `Operator key file ${file} is not usable: ${errorMessage(error)}.`, {
      hint: 'Install the Ed25519 public key that "facegate fleet operator-key create" wrote as <operator>.public.pem.',
      params: { file, detail: errorMessage(error) },
      cause: error,
    });
  }
  return { name, publicKey, kid: keyId(publicKey), file };
}
