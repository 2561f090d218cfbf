import { Template } from 'aws-cdk-lib/assertions';
import { HealthDataLakeProps, PrincipalTagMappingMethod } from '../../src';
import { lakeStack } from '../support/stacks';

/**
 * What a stack update does to the identity pool's principal-tag mapping, replayed the way
 * CloudFormation runs it: resources new in the template are created first, resources of the old
 * template that the new one no longer has are deleted during cleanup, afterwards, with the
 * properties and DeletionPolicy of the OLD template (the one that was deployed).
 */
type Resources = Record<string, { Type: string; Properties?: any; DeletionPolicy?: string }>;
/** `<identity pool>|<provider>` -> the principal tags Cognito maps for it. */
type Mappings = Record<string, Record<string, string>>;

const CUSTOM_RESOURCE = 'Custom::IdentityPoolPrincipalTags';
const NATIVE = 'AWS::Cognito::IdentityPoolPrincipalTag';

/** A template with references written as plain strings, so the JSON of the custom resource's calls can be parsed. */
function plain(value: any): any {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    if (value.Ref) return `Ref(${value.Ref})`;
    if (value['Fn::GetAtt']) return `GetAtt(${value['Fn::GetAtt'].join('.')})`;
    if (value['Fn::Join']) return value['Fn::Join'][1].map(plain).join(value['Fn::Join'][0]);
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, plain(v)]));
  }
  return value;
}

function resourcesOf(props: HealthDataLakeProps): Resources {
  return plain(Template.fromStack(lakeStack(props).stack).toJSON().Resources);
}

/** What Cognito's SetPrincipalTagAttributeMap, called by the custom resource with this SDK call (as JSON), does. */
function callCognito(mappings: Mappings, sdkCall: string | undefined): void {
  if (sdkCall === undefined) return;
  const call = JSON.parse(sdkCall);
  expect(call.action).toBe('setPrincipalTagAttributeMap');
  mappings[`${call.parameters.IdentityPoolId}|${call.parameters.IdentityProviderName}`] = call.parameters.PrincipalTags;
}

function create(mappings: Mappings, resource: Resources[string]): void {
  if (resource.Type === CUSTOM_RESOURCE) callCognito(mappings, resource.Properties.Create);
  if (resource.Type === NATIVE) {
    mappings[`${resource.Properties.IdentityPoolId}|${resource.Properties.IdentityProviderName}`] = resource.Properties.PrincipalTags;
  }
}

function remove(mappings: Mappings, resource: Resources[string]): void {
  if (resource.DeletionPolicy === 'Retain') return;
  if (resource.Type === CUSTOM_RESOURCE) callCognito(mappings, resource.Properties.Delete);
  // The native resource's delete handler removes the mapping it manages.
  if (resource.Type === NATIVE) delete mappings[`${resource.Properties.IdentityPoolId}|${resource.Properties.IdentityProviderName}`];
}

/** The mappings after the stack is deployed with `deployed` and then updated to `next`. */
function update(deployed: Resources, next: Resources): Mappings {
  const mappings: Mappings = {};
  for (const resource of Object.values(deployed)) create(mappings, resource);
  const added = Object.keys(next).filter((id) => !(id in deployed));
  const removed = Object.keys(deployed).filter((id) => !(id in next));
  for (const id of added) create(mappings, next[id]);
  for (const id of Object.keys(next).filter((key) => key in deployed && next[key].Type === CUSTOM_RESOURCE)) {
    callCognito(mappings, next[id].Properties.Update);
  }
  for (const id of removed) remove(mappings, deployed[id]);
  return mappings;
}

/** The one mapping each template sets, as `<identity pool>|<provider>` -> tags. */
function mappingOf(resources: Resources): Mappings {
  const mappings: Mappings = {};
  for (const resource of Object.values(resources)) create(mappings, resource);
  return mappings;
}

/** The template the release before this one deployed: its custom resource emptied the mapping on delete, and its native resource had no DeletionPolicy. */
function asEarlierRelease(resources: Resources): Resources {
  return Object.fromEntries(Object.entries(resources).map(([id, resource]) => {
    if (resource.Type === CUSTOM_RESOURCE) {
      const call = JSON.parse(resource.Properties.Create);
      const clear = { ...call, parameters: { ...call.parameters, PrincipalTags: {} }, ignoreErrorCodesMatching: 'ResourceNotFoundException' };
      return [id, { ...resource, Properties: { ...resource.Properties, Delete: JSON.stringify(clear) } }];
    }
    if (resource.Type === NATIVE) return [id, { Type: resource.Type, Properties: resource.Properties }];
    return [id, resource];
  }));
}

const customResource = () => resourcesOf({ principalTagMappingMethod: PrincipalTagMappingMethod.CUSTOM_RESOURCE });
const native = () => resourcesOf({ principalTagMappingMethod: PrincipalTagMappingMethod.CLOUDFORMATION });

describe('GIVEN a deployed lake WHEN principalTagMappingMethod is switched', () => {
  test.each([
    ['from CUSTOM_RESOURCE to CLOUDFORMATION', customResource, native],
    ['from CLOUDFORMATION to CUSTOM_RESOURCE', native, customResource],
  ])('%s THEN the new resource is created under another logical id, the old one is deleted afterwards, and the mapping survives', (_name, before, after) => {
    const deployed = before();
    const next = after();
    const [expected] = Object.values(mappingOf(next));
    expect(expected).toEqual({ read: 'custom:read', write: 'custom:write' });
    // The two methods are resources of two types: CloudFormation cannot change a resource's type in place.
    const mappingIds = (resources: Resources) => Object.keys(resources).filter((id) => [CUSTOM_RESOURCE, NATIVE].includes(resources[id].Type));
    expect(mappingIds(deployed).filter((id) => mappingIds(next).includes(id))).toEqual([]);

    expect(Object.values(update(deployed, next))).toEqual([expected]);
  });

  test('THEN the old resource\'s delete cannot touch the mapping: the custom resource makes no call on delete, and the native one is retained', () => {
    const [mapping] = Object.values(customResource()).filter((r) => r.Type === CUSTOM_RESOURCE);
    expect(mapping.Properties.Delete).toBeUndefined();
    expect(mapping.Properties.Create).toBeDefined();
    expect(mapping.Properties.Update).toBeDefined();
    const [nativeMapping] = Object.values(native()).filter((r) => r.Type === NATIVE);
    expect(nativeMapping.DeletionPolicy).toBe('Retain');
  });

  test.each([
    ['from CUSTOM_RESOURCE to CLOUDFORMATION', customResource, native],
    ['from CLOUDFORMATION to CUSTOM_RESOURCE', native, customResource],
  ])('%s on a stack of an earlier release THEN one deployment of this release first (method unchanged) keeps the mapping through the switch', (_name, before, after) => {
    const earlier = asEarlierRelease(before());
    const next = after();
    const [expected] = Object.values(mappingOf(next));
    // Switching in the same deployment as the upgrade runs the earlier release's delete: the mapping is lost.
    expect(Object.values(update(earlier, next))).not.toEqual([expected]);
    // The documented path: deploy this release with the same method (an in-place update), then switch.
    const upgraded = before();
    expect(Object.values(update(earlier, upgraded))).toEqual([expected]);
    expect(Object.values(update(upgraded, next))).toEqual([expected]);
  });
});
