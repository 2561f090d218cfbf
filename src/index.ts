export * from './health-data-lake';
export { PrincipalTagMappingMethod } from './identity/principal-tag-mapping';
export { IngestFunction, IngestFunctionProps } from './runtime/ingest-function';
export { ReadFunction, ReadFunctionProps } from './runtime/read-function';
