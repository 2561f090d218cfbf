/** HL7 v2 (ER7) messages: decoding request bodies, validation, escaping and acknowledgments. Pure: no AWS. */
export * from './errors';
export * from './escape';
export * from './body';
export * from './parse';
export * from './ack';
