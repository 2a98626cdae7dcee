import { KataError } from '@kata-ts/errors';

/** What containerd passes (runtime/v2/shim/util.go): Go `flag` syntax, the action is the first positional. */
export interface ShimArgs {
  namespace: string;
  /** containerd's grpc socket. */
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  debug: boolean;
  version: boolean;
  socket: string;
  action: 'start' | 'delete' | 'serve';
}

const STRING_FLAGS = { namespace: 'namespace', address: 'address', 'publish-binary': 'publishBinary', id: 'id', bundle: 'bundle', socket: 'socket' } as const;
const BOOL_FLAGS = { debug: 'debug', v: 'version', version: 'version' } as const;

export class UsageError extends KataError<'USAGE'> {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** Parses `-flag value`, `--flag value`, `-flag=value`; boolean flags take no separate value. */
export function parseShimArgs(argv: string[]): ShimArgs {
  const out: ShimArgs = { namespace: '', address: '', publishBinary: '', id: '', bundle: '', socket: '', debug: false, version: false, action: 'serve' };
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || positionals.length) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    if (name in BOOL_FLAGS) {
      const value = eq === -1 ? 'true' : body.slice(eq + 1);
      if (!['true', 'false', '1', '0'].includes(value)) throw new UsageError(`invalid boolean value "${value}" for -${name}`);
      out[BOOL_FLAGS[name as keyof typeof BOOL_FLAGS]] = value === 'true' || value === '1';
    } else if (name in STRING_FLAGS) {
      const value = eq === -1 ? argv[++i] : body.slice(eq + 1);
      if (value === undefined) throw new UsageError(`flag needs an argument: -${name}`);
      out[STRING_FLAGS[name as keyof typeof STRING_FLAGS]] = value;
    } else {
      throw new UsageError(`flag provided but not defined: -${name}`);
    }
  }
  const action = positionals[0];
  if (action === 'start' || action === 'delete') out.action = action;
  else if (action !== undefined) throw new UsageError(`unknown action "${action}" (expected start or delete)`);
  return out;
}
