export * from './health-data-lake';
export { PrincipalTagMappingMethod } from './identity/principal-tag-mapping';
