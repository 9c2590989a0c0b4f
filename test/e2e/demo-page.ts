import { expect, type Page } from '@playwright/test';

/** Opens the built demo and waits until every shipped model has loaded and the gallery has been classified. */
export async function openDemo(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 120_000 });
}

export async function chooseBackend(page: Page, backend: 'auto' | 'webgpu' | 'cpu'): Promise<void> {
  await page.locator(`input[name="backend"][value="${backend}"]`).check({ force: true });
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 180_000 });
}

/** Whether the page presents a trained model for the slot (it never shows untrained weights as one). */
export async function hasTrainedModel(page: Page, slot: 'digits' | 'objects'): Promise<boolean> {
  return (await page.getByTestId(`${slot}-untrained`).count()) === 0;
}

/** Strokes in unit coordinates of the drawing pad: each stroke is a polyline drawn with the mouse held down. */
export type Strokes = readonly (readonly (readonly [number, number])[])[];

export async function drawOnPad(page: Page, strokes: Strokes): Promise<void> {
  await page.getByRole('button', { name: 'Clear' }).click();
  // Mouse coordinates are the viewport's: the pad must be on screen, and clear of the sticky header.
  await page.locator('#pad').evaluate((pad) => pad.scrollIntoView({ block: 'center' }));
  const box = await page.locator('#pad').boundingBox();
  if (!box) throw new Error('drawing pad not visible');
  const at = ([x, y]: readonly [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  for (const stroke of strokes) {
    const [first, ...rest] = stroke;
    if (!first) continue;
    await page.mouse.move(...at(first));
    await page.mouse.down();
    // Few intermediate events: under SwiftShader each one costs a software-rendered frame.
    for (const point of rest) await page.mouse.move(...at(point), { steps: 3 });
    await page.mouse.up();
  }
}

function ellipse(cx: number, cy: number, rx: number, ry: number, points = 16): [number, number][] {
  return Array.from({ length: points + 1 }, (_, i) => {
    const angle = (i / points) * 2 * Math.PI - Math.PI / 2;
    return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)];
  });
}

/** MNIST-style digits: a slightly slanted "1", an oval "0", a "7" with a straight bar. */
export const DIGITS: Readonly<Record<string, Strokes>> = {
  '1': [
    [
      [0.52, 0.18],
      [0.48, 0.84],
    ],
  ],
  '0': [ellipse(0.5, 0.5, 0.2, 0.32)],
  '7': [
    [
      [0.28, 0.2],
      [0.72, 0.2],
      [0.45, 0.85],
    ],
  ],
};
