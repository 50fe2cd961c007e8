import { StringDecoder } from 'node:string_decoder';
import { KeyError } from '../signing/index.js';
import type { CliIO } from './io.js';

// Passwords for cosign key files, shared by generate-key-pair, sign and attest. As cosign does:
// an environment variable first (set but empty means the empty password), else a prompt on
// the terminal with echo off; never from arguments (other users see the process list).

/** The environment variables read for a key password, in order. */
export const KEY_PASSWORD_ENV = ['PORTCULLIS_PASSWORD', 'COSIGN_PASSWORD'] as const;

type TtyInput = NodeJS.ReadableStream & {
  readonly isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
};

/**
 * Asks each of `prompts` in turn on `output` and reads one line per prompt from `input` without
 * echoing it. On a terminal (`setRawMode` present) echo is turned off for the duration and
 * line editing is done here: backspace, Ctrl-U clears the line, Ctrl-C or Ctrl-D on an empty
 * line cancel.
 * @throws KeyError KEY_PASSWORD_MISSING when cancelled or the input ends first.
 */
export function promptHidden(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  prompts: readonly string[],
): Promise<string[]> {
  const tty = input as TtyInput;
  const raw = typeof tty.setRawMode === 'function';
  const decoder = new StringDecoder('utf8');
  const answers: string[] = [];
  let line = '';
  let afterCr = false;
  return new Promise((resolve, reject) => {
    const finish = (err?: KeyError) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      if (raw) tty.setRawMode?.(false);
      input.pause();
      line = '';
      if (err === undefined) resolve(answers);
      else reject(err);
    };
    const cancel = (why: string) => {
      finish(new KeyError('KEY_PASSWORD_MISSING', `no password entered: ${why}`));
    };
    const onData = (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      for (const ch of text) {
        const wasCr = afterCr;
        afterCr = ch === '\r';
        if (ch === '\n' && wasCr) continue;
        if (ch === '\r' || ch === '\n') {
          answers.push(line);
          line = '';
          output.write('\n');
          const next = prompts[answers.length];
          if (next === undefined) {
            finish();
            return;
          }
          output.write(next);
        } else if (ch === '\u0003') {
          output.write('\n');
          cancel('cancelled');
          return;
        } else if (ch === '\u0004') {
          if (line === '') {
            output.write('\n');
            cancel('input ended');
            return;
          }
        } else if (ch === '\u007f' || ch === '\b') {
          // One code point, as a terminal's erase does (Go's term.ReadPassword too).
          line = Array.from(line).slice(0, -1).join('');
        } else if (ch === '\u0015') {
          line = '';
        } else if (ch >= ' ') {
          line += ch;
        }
      }
    };
    const onEnd = () => {
      cancel('input ended');
    };
    const onError = (err: Error) => {
      cancel(err.message);
    };
    if (prompts.length === 0) {
      resolve([]);
      return;
    }
    if (raw) tty.setRawMode?.(true);
    output.write(prompts[0] ?? '');
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

/**
 * The password for a key file: `PORTCULLIS_PASSWORD`, else `COSIGN_PASSWORD` (an empty value
 * is the empty password), else asked on the terminal, twice when `confirm` (new keys).
 * @throws KeyError KEY_PASSWORD_MISSING (no variable and stdin is not a terminal, or the
 *   prompt was cancelled), KEY_PASSWORD_MISMATCH (the two entries differ).
 */
export async function readKeyPassword(io: CliIO, options: { readonly confirm: boolean }): Promise<string> {
  for (const name of KEY_PASSWORD_ENV) {
    const value = io.env[name];
    if (value !== undefined) return value;
  }
  if ((io.stdin as TtyInput).isTTY !== true) {
    throw new KeyError(
      'KEY_PASSWORD_MISSING',
      'no password for the private key: set PORTCULLIS_PASSWORD (or COSIGN_PASSWORD; empty means no password), or run in a terminal to be asked; passwords are never read from arguments',
    );
  }
  const prompts = options.confirm
    ? ['Enter password for private key: ', 'Enter password for private key again: ']
    : ['Enter password for private key: '];
  const [first = '', second = ''] = await promptHidden(io.stdin, io.stderr, prompts);
  if (options.confirm && first !== second) {
    throw new KeyError('KEY_PASSWORD_MISMATCH', 'the two passwords entered do not match');
  }
  return first;
}
