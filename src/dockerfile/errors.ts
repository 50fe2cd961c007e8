import { PortcullisError } from '../core/index.js';

export type DockerfileErrorCode =
  'DOCKERFILE_TOO_LARGE' | 'DOCKERFILE_NO_FROM' | 'DOCKERFILE_BEFORE_FROM' | 'DOCKERFILE_FROM_INVALID';

/** A Dockerfile that cannot be modelled; the message names the file and line. */
export class DockerfileError extends PortcullisError<DockerfileErrorCode> {}
