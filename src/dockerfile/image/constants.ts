/** Findings one layer rule may report before the rest are counted instead of listed. */
export const MAX_LAYER_FINDINGS = 1000;

/** The path findings of a config-only audit carry when no reference is given. */
export const IMAGE_CONFIG_PATH = 'image-config';
