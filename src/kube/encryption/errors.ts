import { PortcullisError } from '../../core/index.js';

export type EncryptionConfigErrorCode =
  'ENCRYPTION_CONFIG_INVALID' | 'ENCRYPTION_CONFIG_UNREADABLE' | 'ENCRYPTION_CONFIG_TOO_LARGE';

/** One problem with an EncryptionConfiguration, in the API server's `field.Error` shape. */
export type EncryptionConfigFieldError = {
  /** The field, written as the API server does: `resources[0].providers[1].aescbc.keys[0].secret`. */
  readonly field: string;
  /** The API server's error type: `Required value`, `Invalid value`, `unknown field`, ... */
  readonly type:
    'Required value' | 'Invalid value' | 'Unsupported value' | 'unknown field' | 'decoding error';
  /** Why, in the API server's words where it has them; never the key material. */
  readonly detail: string;
  /** The 1-based line in the file (the field's, or its nearest ancestor's). */
  readonly line: number;
};

/**
 * An EncryptionConfiguration the API server would refuse to start with, or one that cannot be
 * read. `errors` lists every problem found (the API server also reports them all at once).
 */
export class EncryptionConfigError extends PortcullisError<EncryptionConfigErrorCode> {
  readonly errors: readonly EncryptionConfigFieldError[];

  constructor(
    code: EncryptionConfigErrorCode,
    message: string,
    options: { readonly errors?: readonly EncryptionConfigFieldError[]; readonly cause?: unknown } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors ?? [];
  }
}
