import type { Digest } from '../core/index.js';
import type { Inventory } from '../inventory/index.js';

/** One layer of the image an SBOM describes, from the base up. */
export type ImageSubjectLayer = {
  readonly index: number;
  /** Digest of the uncompressed layer tar (the config's rootfs.diff_ids entry). */
  readonly diffID: Digest;
  /** Digest of the layer as stored (compressed blob), as the manifest lists it. */
  readonly digest: Digest | undefined;
  /** History `created_by` of the step that produced the layer. */
  readonly createdBy: string | undefined;
};

/** What an SBOM says about the image it describes: its identity, platform and layers. */
export type ImageSubject = {
  /** The reference the image was read from, as the image source reports it. */
  readonly reference: string;
  /** Lower-case name for the purl (`pkg:oci/NAME`): the last path element of the repository. */
  readonly name: string;
  /** `registry/repository` for registry images; undefined for local sources. */
  readonly repositoryUrl: string | undefined;
  readonly tag: string | undefined;
  /** Digest of the image manifest, undefined for a legacy docker-archive and for a rootfs. */
  readonly digest: Digest | undefined;
  /** Digest of the index the manifest was chosen from, if any. */
  readonly indexDigest: Digest | undefined;
  /** Digest of the image config (the image ID). */
  readonly configDigest: Digest | undefined;
  /** `os/arch[/variant]`. */
  readonly platform: string | undefined;
  readonly architecture: string | undefined;
  readonly layers: readonly ImageSubjectLayer[];
};

/** The program that wrote the SBOM (CycloneDX `metadata.tools`, SPDX `creators`). */
export type SbomTool = { readonly name: string; readonly version: string };

/** What the SBOM writers take: the image, what was found in it, and who wrote the document. */
export type SbomInput = {
  readonly image: ImageSubject;
  readonly inventory: Inventory;
  readonly tool: SbomTool;
  /** When the document was made; defaults to now (inject it for reproducible output). */
  readonly timestamp?: Date;
  /**
   * `urn:uuid:…` (RFC 4122) identifying this document; defaults to a random one. CycloneDX uses it
   * as `serialNumber`, SPDX to make the `documentNamespace`.
   */
  readonly serialNumber?: string;
  /** SPDX only: the whole `documentNamespace` URI, overriding the one derived from `serialNumber`. */
  readonly documentNamespace?: string;
};

/** SBOM formats read and written. */
export type SbomFormat = 'cyclonedx' | 'spdx';

/** The thing an SBOM that was read says it describes (CycloneDX `metadata.component`, SPDX `DESCRIBES`). */
export type SbomSubject = {
  readonly name: string;
  readonly version: string | undefined;
  readonly purl: string | undefined;
  /** The subject's SHA-256 or SHA-512 hash as a digest, when the document gives one. */
  readonly digest: Digest | undefined;
  /** CycloneDX component type (`container`, `application` …) or SPDX primary package purpose, lower-case. */
  readonly kind: string | undefined;
};

/** A component with a purl whose type the inventory does not model (`pkg:github`, `pkg:oci`, `pkg:generic` …). */
export type ForeignPackage = {
  readonly purlType: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly version: string | undefined;
  readonly purl: string;
  readonly licenses: readonly string[];
};

/** An SBOM read back into the inventory model. */
export type ReadSbomResult = {
  readonly format: SbomFormat;
  /** `1.2`…`1.7` for CycloneDX, `2.2` or `2.3` for SPDX. */
  readonly specVersion: string;
  readonly subject: SbomSubject | undefined;
  /** Packages of the types the inventory models; gaps for components without a usable purl. */
  readonly inventory: Inventory;
  /** Components whose purl type the inventory does not model, kept (and named in a warning). */
  readonly otherPackages: readonly ForeignPackage[];
};

/** Limits for reading untrusted SBOMs. */
export type ReadSbomOptions = {
  /** Largest document accepted, in bytes (default 64 MiB). */
  readonly maxBytes?: number;
  /** Most components (CycloneDX) or packages (SPDX) accepted (default 200 000). */
  readonly maxPackages?: number;
};
