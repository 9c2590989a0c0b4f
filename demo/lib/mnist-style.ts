/**
 * MNIST's own normalisation of a drawn digit (LeCun et al. 1998): the ink's bounding box scaled so its longer side
 * is 20 pixels, keeping the aspect ratio, then placed in a 28×28 field with its centre of mass at the centre.
 * Without it, a digit drawn small or off-centre looks nothing like the training data.
 */
const FIELD = 28;
const BOX = 20;
const INK_THRESHOLD = 16;

export function toMnistImage(source: HTMLCanvasElement): ImageData | undefined {
  const sourceContext = source.getContext('2d', { willReadFrequently: true });
  if (!sourceContext) return undefined;
  const box = inkBounds(sourceContext.getImageData(0, 0, source.width, source.height));
  if (!box) return undefined;
  const scale = BOX / Math.max(box.width, box.height);
  const width = box.width * scale;
  const height = box.height * scale;
  const field = document.createElement('canvas');
  field.width = FIELD;
  field.height = FIELD;
  const context = field.getContext('2d', { willReadFrequently: true });
  if (!context) return undefined;
  const draw = (x: number, y: number) => {
    context.fillStyle = '#000';
    context.fillRect(0, 0, FIELD, FIELD);
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    context.drawImage(source, box.x, box.y, box.width, box.height, x, y, width, height);
    return context.getImageData(0, 0, FIELD, FIELD);
  };
  const centred = draw((FIELD - width) / 2, (FIELD - height) / 2);
  const mass = centreOfMass(centred);
  return draw((FIELD - width) / 2 + FIELD / 2 - mass.x, (FIELD - height) / 2 + FIELD / 2 - mass.y);
}

function inkBounds(image: ImageData): { x: number; y: number; width: number; height: number } | undefined {
  let left = image.width;
  let top = image.height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if ((image.data[(y * image.width + x) * 4] ?? 0) > INK_THRESHOLD) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  return right < 0 ? undefined : { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

function centreOfMass(image: ImageData): { x: number; y: number } {
  let total = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const value = image.data[(y * image.width + x) * 4] ?? 0;
      total += value;
      sumX += value * (x + 0.5);
      sumY += value * (y + 0.5);
    }
  }
  return total === 0 ? { x: FIELD / 2, y: FIELD / 2 } : { x: sumX / total, y: sumY / total };
}
