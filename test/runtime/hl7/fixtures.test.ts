import { decodeBody, Hl7ErrorCode, Hl7ValidationError, parseMessage } from '../../../src/runtime/hl7';
import { expectedCode, fixtureBytes, fixtureNames, fixtureText } from '../../fixtures/hl7';

interface Expected {
  readonly messageType: string;
  readonly messageCode: string;
  readonly triggerEvent: string;
  readonly controlId: string;
  readonly processingId: string;
  readonly version: string;
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication: string;
  readonly receivingFacility: string;
  readonly segmentIds: string;
  readonly truncation?: string;
}

const VALID: Record<string, Expected> = {
  'adt-a01-v2.5-mllp.hl7': {
    messageType: 'ADT^A01^ADT_A01',
    messageCode: 'ADT',
    triggerEvent: 'A01',
    controlId: 'NG-ADT-0001790',
    processingId: 'P',
    version: '2.5',
    sendingApplication: 'EPICADT',
    sendingFacility: 'NORTHGATE',
    receivingApplication: 'DATALAKE',
    receivingFacility: 'RIVERSIDE_HIE',
    segmentIds: 'MSH EVN PID PV1',
  },
  'adt-a01-v2.5.1.hl7': {
    messageType: 'ADT^A01^ADT_A01',
    messageCode: 'ADT',
    triggerEvent: 'A01',
    controlId: 'NG-ADT-0001734',
    processingId: 'P',
    version: '2.5.1',
    sendingApplication: 'EPICADT',
    sendingFacility: 'NORTHGATE',
    receivingApplication: 'DATALAKE',
    receivingFacility: 'RIVERSIDE_HIE',
    segmentIds: 'MSH EVN PID NK1 PV1 AL1 AL1 DG1 ZPD',
  },
  'adt-a04-v2.3-lf.hl7': {
    messageType: 'ADT^A04',
    messageCode: 'ADT',
    triggerEvent: 'A04',
    controlId: 'WC240612101500001',
    processingId: 'T',
    version: '2.3',
    sendingApplication: 'REGADT',
    sendingFacility: 'WESTFIELD CLINIC',
    receivingApplication: 'DATALAKE',
    receivingFacility: 'RIVERSIDE_HIE',
    segmentIds: 'MSH EVN PID PV1',
  },
  'adt-a04-v2.5-custom-delimiters.hl7': {
    messageType: 'ADT@A04@ADT_A01',
    messageCode: 'ADT',
    triggerEvent: 'A04',
    controlId: 'LEGACY!7781',
    processingId: 'P',
    version: '2.5',
    sendingApplication: 'LEGACYREG',
    sendingFacility: 'EASTBROOK',
    receivingApplication: 'DATALAKE',
    receivingFacility: 'RIVERSIDE_HIE',
    segmentIds: 'MSH EVN PID PV1',
  },
  'adt-a08-v2.4-crlf.hl7': {
    messageType: 'ADT^A08^ADT_A01',
    messageCode: 'ADT',
    triggerEvent: 'A08',
    controlId: 'PAS\\A08\\0042',
    processingId: 'P',
    version: '2.4',
    sendingApplication: 'PAS',
    sendingFacility: 'ST_BRIDE&ST_JUDE',
    receivingApplication: 'DATALAKE',
    receivingFacility: 'RIVERSIDE_HIE',
    segmentIds: 'MSH EVN PID GT1 PV1',
  },
  'dft-p03-v2.8.hl7': {
    messageType: 'DFT^P03^DFT_P03',
    messageCode: 'DFT',
    triggerEvent: 'P03',
    controlId: 'BIL-2024-06-16-00077',
    processingId: 'P',
    version: '2.8',
    sendingApplication: 'BILLING',
    sendingFacility: 'NORTHGATE',
    receivingApplication: 'DATALAKE',
    receivingFacility: 'RIVERSIDE_HIE',
    segmentIds: 'MSH EVN PID PV1 FT1 FT1',
    truncation: '#',
  },
  'mdm-t02-v2.7-truncation.hl7': {
    messageType: 'MDM^T02^MDM_T02',
    messageCode: 'MDM',
    triggerEvent: 'T02',
    controlId: 'TX-77120-A',
    processingId: 'P',
    version: '2.7',
    sendingApplication: 'TRANSCRIBE',
    sendingFacility: 'ST_BRIDE',
    receivingApplication: 'DATALAKE',
    receivingFacility: 'RIVERSIDE_HIE',
    segmentIds: 'MSH EVN PID PV1 TXA OBX',
    truncation: '#',
  },
  'oml-o21-v2.5.1.hl7': {
    messageType: 'OML^O21^OML_O21',
    messageCode: 'OML',
    triggerEvent: 'O21',
    controlId: 'CPOE-9913477',
    processingId: 'P',
    version: '2.5.1',
    sendingApplication: 'CPOE',
    sendingFacility: 'NORTHGATE',
    receivingApplication: 'LABSYS',
    receivingFacility: 'RIVERSIDE_LAB',
    segmentIds: 'MSH PID PV1 ORC TQ1 OBR OBX SPM',
  },
  'orm-o01-v2.3.1.hl7': {
    messageType: 'ORM^O01',
    messageCode: 'ORM',
    triggerEvent: 'O01',
    controlId: 'CPOE-9912030',
    processingId: 'P',
    version: '2.3.1',
    sendingApplication: 'CPOE',
    sendingFacility: 'NORTHGATE',
    receivingApplication: 'RADIS',
    receivingFacility: 'RIVERSIDE_RAD',
    segmentIds: 'MSH PID PV1 ORC OBR DG1 ZOR',
  },
  'oru-r01-v2.5.hl7': {
    messageType: 'ORU^R01^ORU_R01',
    messageCode: 'ORU',
    triggerEvent: 'R01',
    controlId: 'LAB-20240613-000318',
    processingId: 'P',
    version: '2.5',
    sendingApplication: 'LABSYS',
    sendingFacility: 'RIVERSIDE_LAB',
    receivingApplication: 'DATALAKE',
    receivingFacility: 'RIVERSIDE_HIE',
    segmentIds: 'MSH PID PV1 ORC OBR OBX OBX OBX OBX OBX OBX NTE',
  },
  'siu-s12-v2.6.hl7': {
    messageType: 'SIU^S12^SIU_S12',
    messageCode: 'SIU',
    triggerEvent: 'S12',
    controlId: 'SCH-0001-20240614-17',
    processingId: 'P',
    version: '2.6',
    sendingApplication: 'SCHED',
    sendingFacility: 'WESTFIELD CLINIC',
    receivingApplication: 'DATALAKE',
    receivingFacility: 'RIVERSIDE_HIE',
    segmentIds: 'MSH SCH TQ1 NTE PID PV1 RGS AIS AIG AIL AIP',
  },
  'vxu-v04-v2.5.1-mixed-separators.hl7': {
    messageType: 'VXU^V04^VXU_V04',
    messageCode: 'VXU',
    triggerEvent: 'V04',
    controlId: 'IMM-20240615-0913',
    processingId: 'P',
    version: '2.5.1',
    sendingApplication: 'IMMSYS',
    sendingFacility: 'WESTFIELD CLINIC',
    receivingApplication: 'IIS',
    receivingFacility: 'EASTSHIRE_IIS',
    segmentIds: 'MSH PID PD1 NK1 ORC RXA RXR OBX OBX',
  },
};

/** segmentIndex each invalid fixture must report (undefined: not about one segment). */
const INVALID_SEGMENT_INDEX: Record<string, number | undefined> = {
  'CONTROL_ID_TOO_LONG.hl7': 1,
  'EMPTY_MESSAGE.hl7': undefined,
  'INVALID_BODY_ENCODING.hl7': undefined,
  'INVALID_ENCODING_CHARACTERS.hl7': 1,
  'INVALID_ENCODING_CHARACTERS--duplicate.hl7': 1,
  'INVALID_FIELD_SEPARATOR.hl7': 1,
  'INVALID_SEGMENT_ID.hl7': 3,
  'INVALID_SEGMENT_ID--second-message.hl7': 5,
  'MISSING_CONTROL_ID.hl7': 1,
  'MISSING_MESSAGE_TYPE.hl7': 1,
  'MISSING_MSH_SEGMENT.hl7': 1,
  'MISSING_MSH_SEGMENT--batch.hl7': 1,
  'MISSING_PROCESSING_ID.hl7': 1,
  'MISSING_VERSION.hl7': 1,
};

const ALL_CODES: Hl7ErrorCode[] = [
  'EMPTY_MESSAGE', 'MISSING_MSH_SEGMENT', 'INVALID_FIELD_SEPARATOR', 'INVALID_ENCODING_CHARACTERS',
  'MISSING_MESSAGE_TYPE', 'MISSING_CONTROL_ID', 'MISSING_PROCESSING_ID', 'MISSING_VERSION',
  'INVALID_SEGMENT_ID', 'INVALID_BODY_ENCODING', 'CONTROL_ID_TOO_LONG',
];

function validationError(run: () => unknown): Hl7ValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(Hl7ValidationError);
    return error as Hl7ValidationError;
  }
  throw new Error('expected an Hl7ValidationError, but nothing was thrown');
}

describe('valid fixtures', () => {
  test('GIVEN the valid fixture folder THEN every file has an expectation and at least 10 exist', () => {
    expect(fixtureNames('valid')).toEqual(Object.keys(VALID).sort());
    expect(fixtureNames('valid').length).toBeGreaterThanOrEqual(10);
  });

  test.each(Object.entries(VALID))('GIVEN %s WHEN decoded from base64 and parsed THEN the header is read as expected', (name, expected) => {
    const message = parseMessage(decodeBody(fixtureBytes('valid', name).toString('base64'), true));

    expect({
      messageType: message.messageType,
      messageCode: message.messageCode,
      triggerEvent: message.triggerEvent,
      controlId: message.controlId,
      processingId: message.processingId,
      version: message.version,
      sendingApplication: message.sendingApplication,
      sendingFacility: message.sendingFacility,
      receivingApplication: message.receivingApplication,
      receivingFacility: message.receivingFacility,
      segmentIds: message.segments.map(segment => segment.id).join(' '),
      truncation: message.delimiters.truncation,
    }).toEqual(expected);
  });

  test.each(Object.keys(VALID))('GIVEN %s WHEN parsed THEN the text is normalised and parses again to the same segments', name => {
    const message = parseMessage(decodeBody(fixtureText('valid', name), false));

    expect(message.text).not.toMatch(/\n|\r\r|^\r|\r$/);
    expect(message.text.split('\r')).toHaveLength(message.segments.length);
    for (const segment of message.segments) {
      expect(segment.fields[0]).toBe(segment.id);
    }
    const again = parseMessage(message.text);
    expect(again.segments).toEqual(message.segments);
    expect(again.text).toBe(message.text);
  });

  test('GIVEN the ORU fixture WHEN parsed THEN the NTE keeps its escape sequences raw in fields', () => {
    const message = parseMessage(fixtureText('valid', 'oru-r01-v2.5.hl7'));

    const nte = message.segments.find(segment => segment.id === 'NTE');
    expect(nte?.fields[3]).toBe('Potassium repeated \\F\\ confirmed\\S\\haemolysis excluded \\T\\ reported\\R\\ to ward \\E\\ nurse in charge.\\.br\\Second line.');
    expect(message.segments.filter(segment => segment.id === 'OBX').map(segment => segment.fields[5])).toEqual(['138', '5.6', '1.42', '96', '3.9', '>60']);
  });
});

describe('invalid fixtures', () => {
  test('GIVEN the invalid fixture folder THEN every error code has a fixture and every fixture an expectation', () => {
    expect(fixtureNames('invalid')).toEqual(Object.keys(INVALID_SEGMENT_INDEX).sort());
    expect([...new Set(fixtureNames('invalid').map(expectedCode))].sort()).toEqual([...ALL_CODES].sort());
  });

  test.each(Object.entries(INVALID_SEGMENT_INDEX))('GIVEN %s WHEN decoded from base64 and parsed THEN it fails with exactly its code', (name, segmentIndex) => {
    const bytes = fixtureBytes('invalid', name);

    const error = validationError(() => parseMessage(decodeBody(bytes.toString('base64'), true)));

    expect(error.code).toBe(expectedCode(name));
    expect(error.segmentIndex).toBe(segmentIndex);
    expect(error.name).toBe('Hl7ValidationError');
  });

  test.each(Object.keys(INVALID_SEGMENT_INDEX).filter(name => expectedCode(name) !== 'INVALID_BODY_ENCODING'))(
    'GIVEN %s WHEN sent as a raw body THEN it fails with the same code', name => {
      const error = validationError(() => parseMessage(decodeBody(fixtureText('invalid', name), false)));

      expect(error.code).toBe(expectedCode(name));
    });

  test.each(Object.keys(INVALID_SEGMENT_INDEX))('GIVEN %s WHEN it fails THEN the error is one short sentence that quotes nothing of the body', name => {
    const body = fixtureBytes('invalid', name).toString('latin1');

    const error = validationError(() => parseMessage(decodeBody(fixtureBytes('invalid', name).toString('base64'), true)));

    expect(error.message).toMatch(/^[A-Z][^\r\n]*\.$/);
    expect(error.message.length).toBeLessThan(200);
    // Every run of 5+ characters between delimiters (the INVALID_FIELD_SEPARATOR fixture uses `A`).
    const fragments = body.split(/[\r\n|^~\\&A]/).filter(fragment => fragment.length >= 5);
    for (const fragment of fragments) {
      expect(error.message).not.toContain(fragment);
    }
  });
});
