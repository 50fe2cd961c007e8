import type { AuditContext, LoadedObject, RuleHit } from '../types.js';
import type { RbacFinding } from './checks.js';
import { buildRbacModel } from './model.js';
import type { RbacModel } from './model.js';

// Every RBAC rule of one audit reads the same bundle; build its model once.
const models = new WeakMap<readonly LoadedObject[], RbacModel>();

/** The RBAC model of an audit's bundle (cached per bundle). */
export function rbacModelOf(context: AuditContext): RbacModel {
  let model = models.get(context.objects);
  if (model === undefined) {
    model = buildRbacModel(context.objects.map((o) => o.object));
    models.set(context.objects, model);
  }
  return model;
}

/** Runs a pure RBAC analysis on an audit's bundle and turns its findings into rule hits. */
export function rbacBundleHits(
  context: AuditContext,
  analyse: (model: RbacModel) => readonly RbacFinding[],
): (RuleHit & { readonly object: LoadedObject })[] {
  return analyse(rbacModelOf(context)).flatMap((f) => {
    const object = context.objects[f.objectIndex];
    if (object === undefined) return [];
    return [
      {
        object,
        path: f.path,
        message: f.message,
        severity: f.severity,
        ...(f.chain === undefined ? {} : { chain: f.chain }),
      },
    ];
  });
}
