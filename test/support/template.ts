import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

type Resources = Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

interface FoundResource { id: string; Properties: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }

/** The single resource of a type in a template (fails when there is not exactly one). */
export function onlyResource(template: Template, type: string): FoundResource {
  const found = Object.entries(template.toJSON().Resources as Resources).filter(([, resource]) => resource.Type === type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  const [id, resource] = found[0];
  return { id, Properties: resource.Properties ?? {}, DeletionPolicy: resource.DeletionPolicy, UpdateReplacePolicy: resource.UpdateReplacePolicy };
}

/** Statements of a policy document keyed by Sid (statements without a Sid are left out). */
export function statementsBySid(document: { Statement: any[] }): Record<string, any> {
  return Object.fromEntries(document.Statement.filter((s) => s.Sid).map((s) => [s.Sid, s]));
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}
