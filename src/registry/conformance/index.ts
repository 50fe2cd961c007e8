export type { ConformanceCredentials, ConformanceResponse, ConformanceRequest } from './client.js';
export { ConformanceClient } from './client.js';
export type {
  ConformanceGroup,
  ConformanceOptions,
  ConformanceTarget,
  ConformanceTestApi,
} from './context.js';
export type { ConformanceData, TestBlob, ChunkedBlob } from './data.js';
export { makeConformanceData, makeChunkedBlob } from './data.js';
export { CONFORMANCE_GROUPS, registerConformanceSuite } from './suite.js';
export { DISTRIBUTION_2_8_DIFFERENCES } from './differences.js';
