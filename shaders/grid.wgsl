// The launch grid every shader shares: src/backends/webgpu/shaders.ts appends this to each one (WGSL declarations
// may come in any order), after `const INVOCATIONS`, declared there from INVOCATIONS_PER_WORKGROUP
// (src/backends/webgpu/kernel.ts), the one place the workgroup size is set.
//
// A grid of more workgroups than maxComputeWorkgroupsPerDimension arrives folded into two dimensions (foldWorkgroups
// in src/backends/webgpu/pipelines.ts); the surplus workgroups of the last row find their index past the end.

// The workgroup's index in the unfolded grid.
fn flatWorkgroup(workgroup: vec3u, workgroups: vec3u) -> u32 {
  return workgroup.x + workgroup.y * workgroups.x;
}

// The invocation's index in the unfolded grid.
fn flatInvocation(workgroup: vec3u, workgroups: vec3u, lane: u32) -> u32 {
  return flatWorkgroup(workgroup, workgroups) * INVOCATIONS + lane;
}
