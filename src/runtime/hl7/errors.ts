/** Machine-readable reason why a request body is not one acceptable HL7 v2 message. */
export type Hl7ErrorCode =
  | 'EMPTY_MESSAGE'
  | 'MISSING_MSH_SEGMENT'
  | 'INVALID_FIELD_SEPARATOR'
  | 'INVALID_ENCODING_CHARACTERS'
  | 'MISSING_MESSAGE_TYPE'
  | 'MISSING_CONTROL_ID'
  | 'MISSING_PROCESSING_ID'
  | 'MISSING_VERSION'
  | 'INVALID_SEGMENT_ID'
  | 'INVALID_BODY_ENCODING'
  | 'CONTROL_ID_TOO_LONG';

/**
 * A body that is not one valid HL7 v2 message.
 *
 * The message is one human sentence that never quotes the body: HL7 messages carry health data,
 * and error messages end up in logs and HTTP responses.
 */
export class Hl7ValidationError extends Error {
  /** Machine-readable reason. */
  readonly code: Hl7ErrorCode;
  /** 1-based number of the segment at fault (blank lines not counted), where relevant. */
  readonly segmentIndex?: number;

  constructor(code: Hl7ErrorCode, message: string, segmentIndex?: number) {
    super(message);
    this.name = 'Hl7ValidationError';
    this.code = code;
    if (segmentIndex !== undefined) {
      this.segmentIndex = segmentIndex;
    }
  }
}
