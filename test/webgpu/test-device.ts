import { existsSync } from 'node:fs';
import { acquireDevice } from '../../src/backends/webgpu/device.js';

// `npm run test:webgpu` points Dawn at SwiftShader; a bare `vitest run` on this machine would find no Vulkan driver.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** A fresh device from Dawn in Node (the Vulkan driver falls back to SwiftShader where no other is configured). */
export async function testDevice(): Promise<GPUDevice> {
  if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return (await acquireDevice()).device;
}
