/** Loads a user's file as an image element, and crops images to the centred square the CIFAR-10 models expect. */

/**
 * The image's `src` is an object URL that stays valid while the page shows it (the preview loads it again): whoever
 * replaces the image revokes it (`releaseImage`).
 */
export async function imageFromFile(file: File): Promise<HTMLImageElement> {
  const url = URL.createObjectURL(file);
  const image = new Image();
  image.src = url;
  try {
    await image.decode();
  } catch {
    URL.revokeObjectURL(url);
    throw new Error(`${file.name} is not an image this browser can decode`);
  }
  return image;
}

/** Frees what `imageFromFile` holds for an image no longer shown; other images need nothing. */
export function releaseImage(src: string): void {
  if (src.startsWith('blob:')) URL.revokeObjectURL(src);
}

/** Draws the largest centred square of `image` onto `canvas`: CIFAR-10 photos are square, so crop, don't squash. */
export function drawCentredSquare(image: HTMLImageElement, canvas: HTMLCanvasElement): void {
  const side = Math.min(image.naturalWidth, image.naturalHeight);
  const context = canvas.getContext('2d');
  if (!context) return;
  context.imageSmoothingQuality = 'high';
  context.drawImage(
    image,
    (image.naturalWidth - side) / 2,
    (image.naturalHeight - side) / 2,
    side,
    side,
    0,
    0,
    canvas.width,
    canvas.height,
  );
}
