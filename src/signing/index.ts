export * from './keys/index.js';
export * from './cosign/index.js';
