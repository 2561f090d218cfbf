/**
 * The principal tags the identity pool maps from a user's institute attributes: the central policy
 * decides on them, and the compliance report simulates callers that carry them.
 *
 * Pure: no AWS or CDK imports, so that the bundled command-line tool can import it.
 */

/** The principal tag (mapped from the user's custom attribute) that names the institute a caller may read. */
export const READ_PRINCIPAL_TAG = 'read';
/** The principal tag (mapped from the user's custom attribute) that names the institute a caller may write for. */
export const WRITE_PRINCIPAL_TAG = 'write';
