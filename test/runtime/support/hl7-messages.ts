/** HL7 v2 messages for handler tests. The patient is fictitious and easy to find in captured output. */

/** A name that must never appear in logs. */
export const PATIENT_FAMILY_NAME = 'ZZTESTPATIENT';
export const PATIENT_GIVEN_NAME = 'MARIGOLD';

export const CONTROL_ID = 'MSG00001';

/** MSH-3 and MSH-4 of {@link admitMessage} by default: the admissions system of one hospital. */
export const ADMISSIONS = { application: 'ADT1', facility: 'GOOD HEALTH HOSPITAL' } as const;

/** An ADT^A01 message (v2.5.1) with the given control id, segments joined by `\r`; MSH-3 and MSH-4 raw, as sent. */
export function admitMessage(
  controlId: string = CONTROL_ID,
  options: { sendingApplication?: string; sendingFacility?: string; note?: string } = {},
): string {
  const segments = [
    `MSH|^~\\&|${options.sendingApplication ?? ADMISSIONS.application}|${options.sendingFacility ?? ADMISSIONS.facility}|LAB|CENTRAL LAB|20240102030405||ADT^A01^ADT_A01|${controlId}|P|2.5.1`,
    'EVN|A01|20240102030405',
    `PID|1||PATID1234^^^GOOD HEALTH HOSPITAL^MR||${PATIENT_FAMILY_NAME}^${PATIENT_GIVEN_NAME}^Q||19610615|F||C|1200 N ELM STREET^^GREENSBORO^NC^27401-1020`,
    'PV1|1|I|2000^2012^01||||004777^ATTEND^AARON^A|||SUR||||ADM|A0',
  ];
  if (options.note !== undefined) {
    segments.push(`NTE|1||${options.note}`);
  }
  return segments.join('\r');
}

/** A message without MSH-10: not valid, but it holds a patient name. */
export function messageWithoutControlId(): string {
  return admitMessage('');
}

/** A body that is not HL7 at all, with a patient name in it. */
export const NOT_HL7 = `Dear colleague, please find the results of ${PATIENT_FAMILY_NAME} ${PATIENT_GIVEN_NAME} attached.`;

export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
