import { TwnFormatError } from '../errors.js';
import { member } from '../format/header-schema.js';
import type { DType, GraphNode, Tensor } from '../graph/ir.js';
import { formatShape, sameShape } from './tensor.js';

export type RoleSpec = Readonly<Record<string, 'required' | 'optional'>>;

export function paramPath(where: string, role: string): string {
  return `${where}.params${member(role)}`;
}

/**
 * Resolves `node.params` against the op's roles: an unknown or missing role is BAD_PARAM, a role naming no tensor
 * is UNDEFINED_INPUT. Returns role → tensor for the roles present.
 */
export function resolveParams(
  node: GraphNode,
  tensors: ReadonlyMap<string, Tensor>,
  where: string,
  roles: RoleSpec,
): Map<string, Tensor> {
  const resolved = new Map<string, Tensor>();
  for (const [role, tensorName] of Object.entries(node.params)) {
    if (!Object.hasOwn(roles, role)) {
      const known = Object.keys(roles).join(', ') || 'none';
      throw new TwnFormatError('BAD_PARAM', `unknown param role "${role}" for ${node.op} (it takes: ${known})`, {
        path: paramPath(where, role),
      });
    }
    const tensor = tensors.get(tensorName);
    if (tensor === undefined) {
      throw new TwnFormatError('UNDEFINED_INPUT', `param "${role}" names tensor "${tensorName}", which is not in the tensor table`, {
        path: paramPath(where, role),
      });
    }
    resolved.set(role, tensor);
  }
  for (const [role, need] of Object.entries(roles)) {
    if (need === 'required' && !resolved.has(role)) {
      throw new TwnFormatError('BAD_PARAM', `${node.op} requires param "${role}"`, { path: paramPath(where, role) });
    }
  }
  return resolved;
}

/** A param's dtype and shape (exact shape, or just its rank). */
export function expectParam(
  tensor: Tensor,
  where: string,
  role: string,
  rule: { dtypes: readonly DType[]; shape?: readonly number[]; rank?: number },
): void {
  const fail = (message: string) => new TwnFormatError('BAD_PARAM', `param "${role}" ${message}`, { path: paramPath(where, role) });
  if (!rule.dtypes.includes(tensor.dtype)) {
    throw fail(`must be ${rule.dtypes.join(' or ')}, got ${tensor.dtype}`);
  }
  if (rule.shape !== undefined && !sameShape(tensor.shape, rule.shape)) {
    throw fail(`must have shape ${formatShape(rule.shape)}, got ${formatShape(tensor.shape)}`);
  }
  if (rule.rank !== undefined && tensor.shape.length !== rule.rank) {
    throw fail(`must have rank ${rule.rank}, got ${formatShape(tensor.shape)}`);
  }
}

/** The f32 data of an optional param, for references run on an already normalized node. */
export function f32Param(node: GraphNode, tensors: ReadonlyMap<string, Tensor>, role: string): Float32Array | undefined {
  const tensorName = node.params[role];
  if (tensorName === undefined) return undefined;
  const tensor = tensors.get(tensorName);
  if (tensor === undefined || !(tensor.data instanceof Float32Array)) {
    throw new TwnFormatError('BAD_PARAM', `param "${role}" of node "${node.name}" is not an f32 tensor in the table`);
  }
  return tensor.data;
}

export function requiredF32Param(node: GraphNode, tensors: ReadonlyMap<string, Tensor>, role: string): Float32Array {
  const data = f32Param(node, tensors, role);
  if (data === undefined) throw new TwnFormatError('BAD_PARAM', `node "${node.name}" has no param "${role}"`);
  return data;
}

/** For ops that take no weights: any `params` entry is BAD_PARAM. */
export function rejectParams(node: GraphNode, tensors: ReadonlyMap<string, Tensor>, where: string): void {
  resolveParams(node, tensors, where, {});
}
