export { buildLeNet5, buildLeNet5File } from './lenet5.js';
export { buildVgg7, buildVgg7File, type Vgg7Options } from './vgg7.js';
export { buildResNet18, buildResNet18File, type ResNet18Options } from './resnet18.js';
export { BATCHNORM_EPSILON, type BuildOptions } from './network-builder.js';
export { CIFAR10, IMAGENET, MNIST, type Dataset } from './datasets.js';
