import { TwnDeviceError } from '../../errors.js';
import type { GraphNode } from '../../graph/ir.js';
import { INVOCATIONS_PER_WORKGROUP, type DispatchPlan } from './kernel.js';
import { foldWorkgroups } from './pipelines.js';

/** The device limits a compiled graph depends on. */
export type DeviceLimits = Pick<
  GPUSupportedLimits,
  | 'maxStorageBufferBindingSize'
  | 'maxBufferSize'
  | 'maxStorageBuffersPerShaderStage'
  | 'maxComputeInvocationsPerWorkgroup'
  | 'maxComputeWorkgroupSizeX'
  | 'maxComputeWorkgroupsPerDimension'
>;

function exceeded(node: GraphNode, what: string, needed: number, limit: keyof DeviceLimits, allowed: number): TwnDeviceError {
  return new TwnDeviceError(
    'LIMIT_EXCEEDED',
    `node "${node.name}" (${node.op}): ${what} needs ${needed}, above the device's ${limit} = ${allowed}`,
  );
}

/** Limits that do not depend on the batch: bindings per shader, workgroup size, parameter buffers. */
export function checkStaticLimits(node: GraphNode, plan: DispatchPlan, limits: DeviceLimits): void {
  const storageBuffers = 1 + plan.bindings.filter((binding) => binding.kind !== 'uniform').length;
  if (storageBuffers > limits.maxStorageBuffersPerShaderStage) {
    throw exceeded(node, 'storage buffers', storageBuffers, 'maxStorageBuffersPerShaderStage', limits.maxStorageBuffersPerShaderStage);
  }
  if (INVOCATIONS_PER_WORKGROUP > limits.maxComputeInvocationsPerWorkgroup) {
    throw exceeded(node, 'invocations per workgroup', INVOCATIONS_PER_WORKGROUP, 'maxComputeInvocationsPerWorkgroup', limits.maxComputeInvocationsPerWorkgroup);
  }
  if (INVOCATIONS_PER_WORKGROUP > limits.maxComputeWorkgroupSizeX) {
    throw exceeded(node, 'workgroup size x', INVOCATIONS_PER_WORKGROUP, 'maxComputeWorkgroupSizeX', limits.maxComputeWorkgroupSizeX);
  }
  for (const binding of plan.bindings) {
    if (binding.kind === 'param') checkBufferBytes(node, `param "${binding.role}" (bytes)`, binding.data.byteLength, limits);
  }
}

/** Limits that grow with the batch: activation bindings and the dispatch grid. */
export function checkBatchLimits(
  node: GraphNode,
  plan: DispatchPlan,
  batch: number,
  valueBytes: (value: string) => number,
  limits: DeviceLimits,
): void {
  for (const value of [...node.outputs, ...node.inputs]) {
    checkBufferBytes(node, `value "${value}" at batch ${batch} (bytes)`, valueBytes(value), limits);
  }
  const workgroups = plan.workgroups(batch);
  if (foldWorkgroups(workgroups, limits.maxComputeWorkgroupsPerDimension) === undefined) {
    const fits = limits.maxComputeWorkgroupsPerDimension ** 2;
    throw exceeded(node, `a grid of ${workgroups} workgroups at batch ${batch} (most that fit: ${fits})`, workgroups, 'maxComputeWorkgroupsPerDimension', limits.maxComputeWorkgroupsPerDimension);
  }
}

export function checkBufferBytes(node: GraphNode, what: string, bytes: number, limits: DeviceLimits): void {
  if (bytes > limits.maxStorageBufferBindingSize) {
    throw exceeded(node, what, bytes, 'maxStorageBufferBindingSize', limits.maxStorageBufferBindingSize);
  }
  if (bytes > limits.maxBufferSize) throw exceeded(node, what, bytes, 'maxBufferSize', limits.maxBufferSize);
}
