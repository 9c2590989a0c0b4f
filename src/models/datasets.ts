/** Input specs (docs/FORMAT.md §3) of the datasets the builders' architectures come from. */
import type { InputSpec } from '../graph/ir.js';

/** A dataset's name, and the input-spec fields its images and classes give. */
export interface Dataset extends Omit<InputSpec, 'name'> {
  readonly name: string;
}

function numberedClasses(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `class ${i}`);
}

export const MNIST: Dataset = {
  name: 'MNIST',
  shape: [1, 28, 28],
  colorLayout: 'gray',
  mean: [0.1307],
  std: [0.3081],
  labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
};

export const CIFAR10: Dataset = {
  name: 'CIFAR-10',
  shape: [3, 32, 32],
  colorLayout: 'rgb',
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
  labels: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
};

/** Class names are not bundled (src/ reads nothing from disk): "class 0" … "class 999". */
export const IMAGENET: Dataset = {
  name: 'ImageNet',
  shape: [3, 224, 224],
  colorLayout: 'rgb',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  labels: numberedClasses(1000),
};

/** The dataset's input spec, with its labels when `numClasses` matches them and "class i" names otherwise. */
export function datasetInput(dataset: Dataset, numClasses: number): InputSpec {
  return {
    name: 'image',
    shape: [...dataset.shape],
    colorLayout: dataset.colorLayout,
    mean: [...dataset.mean],
    std: [...dataset.std],
    labels: numClasses === dataset.labels.length ? [...dataset.labels] : numberedClasses(numClasses),
  };
}
