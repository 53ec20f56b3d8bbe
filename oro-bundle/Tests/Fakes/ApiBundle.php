<?php

/**
 * Fakes of oroinc/platform src/Oro/Bundle/ApiBundle (checked at 3aec000b, master, and 21e1cd4d, 5.1): the
 * names, namespaces and signatures of the members the bundle's processors call. FormUtil's methods are copies
 * of the real bodies, so that an error added by a processor is the FormError Oro's CollectFormErrors reads.
 */

namespace Oro\Bundle\ApiBundle\Model {
    /** Model/Error.php (titles and details are string|Label there; strings here). */
    class Error
    {
        private ?int $statusCode = null;
        private ?string $title = null;
        private ?string $detail = null;

        public static function create(?string $title, ?string $detail = null): static
        {
            $error = new static();
            $error->setTitle($title);
            $error->setDetail($detail);

            return $error;
        }

        public function getStatusCode(): ?int
        {
            return $this->statusCode;
        }

        public function setStatusCode(?int $statusCode): static
        {
            $this->statusCode = $statusCode;

            return $this;
        }

        public function getTitle(): ?string
        {
            return $this->title;
        }

        public function setTitle(?string $title): static
        {
            $this->title = $title;

            return $this;
        }

        public function getDetail(): ?string
        {
            return $this->detail;
        }

        public function setDetail(?string $detail): static
        {
            $this->detail = $detail;

            return $this;
        }
    }
}

namespace Oro\Bundle\ApiBundle\Request {
    /** Request/Constraint.php */
    final class Constraint
    {
        public const VALUE = 'value constraint';
    }
}

namespace Oro\Bundle\ApiBundle\Metadata {
    /** Metadata/EntityMetadata.php */
    class EntityMetadata
    {
        private string $className;
        private bool $hasIdentifierGenerator = false;

        public function __construct(string $className)
        {
            $this->className = $className;
        }

        public function getClassName(): string
        {
            return $this->className;
        }

        public function hasIdentifierGenerator(): bool
        {
            return $this->hasIdentifierGenerator;
        }

        public function setHasIdentifierGenerator(bool $hasIdentifierGenerator): void
        {
            $this->hasIdentifierGenerator = $hasIdentifierGenerator;
        }
    }
}

namespace Oro\Bundle\ApiBundle\Processor {
    use Oro\Bundle\ApiBundle\Model\Error;
    use Oro\Component\ChainProcessor\Context as BaseContext;
    use Oro\Component\ChainProcessor\ParameterBag;
    use Oro\Component\ChainProcessor\ParameterBagInterface;

    /** ApiContext.php (processed operations) and Context.php (shared data, errors). */
    class Context extends BaseContext
    {
        private array $processed = [];
        private array $errors = [];
        private ParameterBagInterface $sharedData;

        public function __construct()
        {
            $this->sharedData = new ParameterBag();
        }

        public function setProcessed(string $operationName): void
        {
            $this->processed[$operationName] = true;
        }

        public function isProcessed(string $operationName): bool
        {
            return $this->processed[$operationName] ?? false;
        }

        public function getSharedData(): ParameterBagInterface
        {
            return $this->sharedData;
        }

        public function setSharedData(ParameterBagInterface $sharedData): void
        {
            $this->sharedData = $sharedData;
        }

        public function hasErrors(): bool
        {
            return [] !== $this->errors;
        }

        public function getErrors(): array
        {
            return $this->errors;
        }

        public function addError(Error $error): void
        {
            $this->errors[] = $error;
        }
    }

    /** SingleItemContext.php */
    class SingleItemContext extends Context
    {
        private mixed $id = null;

        public function getId(): mixed
        {
            return $this->id;
        }

        public function setId(mixed $id): void
        {
            $this->id = $id;
        }
    }
}

namespace Oro\Bundle\ApiBundle\Processor\Create {
    use Oro\Bundle\ApiBundle\Processor\SingleItemContext;

    /** Processor/Create/CreateContext.php with FormContextTrait::isExisting/setExisting. */
    class CreateContext extends SingleItemContext
    {
        private bool $existing = false;

        public function isExisting(): bool
        {
            return $this->existing;
        }

        public function setExisting(bool $existing): void
        {
            $this->existing = $existing;
        }
    }

    /** Processor/Create/SaveEntity.php: the operation name create's save processors mark as done. */
    class SaveEntity
    {
        public const OPERATION_NAME = 'save_new_entity';
    }
}

namespace Oro\Bundle\ApiBundle\Processor\Delete {
    use Oro\Bundle\ApiBundle\Processor\SingleItemContext;

    /** Processor/Delete/DeleteContext.php */
    class DeleteContext extends SingleItemContext
    {
    }
}

namespace Oro\Bundle\ApiBundle\Processor\GetMetadata {
    use Oro\Bundle\ApiBundle\Processor\Context;

    /** Processor/GetMetadata/MetadataContext.php: its result is the EntityMetadata being built. */
    class MetadataContext extends Context
    {
    }
}

namespace Oro\Bundle\ApiBundle\Processor\CustomizeFormData {
    use Oro\Bundle\ApiBundle\Processor\Context;
    use Symfony\Component\Form\FormInterface;

    /** Processor/CustomizeFormData/CustomizeFormDataContext.php */
    class CustomizeFormDataContext extends Context
    {
        private ?FormInterface $form = null;
        private mixed $data = null;

        public function getForm(): FormInterface
        {
            return $this->form;
        }

        public function setForm(FormInterface $form): void
        {
            $this->form = $form;
        }

        public function getData(): mixed
        {
            return $this->data;
        }

        public function setData(mixed $data): void
        {
            $this->data = $data;
        }
    }
}

namespace Oro\Bundle\ApiBundle\Form {
    use Symfony\Component\Form\FormError;
    use Symfony\Component\Form\FormInterface;
    use Symfony\Component\Validator\Constraint;
    use Symfony\Component\Validator\ConstraintViolation;

    /** Form/NamedValidationConstraint.php */
    class NamedValidationConstraint extends Constraint
    {
        private string $constraintType;
        private ?int $statusCode;

        public function __construct(string $constraintType, ?int $statusCode = null)
        {
            parent::__construct([]);
            $this->constraintType = $constraintType;
            $this->statusCode = $statusCode;
        }

        public function getConstraintType(): string
        {
            return $this->constraintType;
        }

        public function getStatusCode(): int
        {
            return $this->statusCode ?? 400;
        }
    }

    /** Form/FormUtil.php: the methods the processors call, with the real bodies. */
    class FormUtil
    {
        public static function isValid(FormInterface $form): bool
        {
            return $form->isSynchronized() && $form->isValid();
        }

        public static function isSubmittedAndValid(FormInterface $form): bool
        {
            return $form->isSubmitted() && self::isValid($form);
        }

        public static function addNamedFormError(
            FormInterface $form,
            string $errorType,
            string $errorMessage,
            ?string $propertyPath = null,
            ?int $statusCode = null
        ): void {
            self::addFormConstraintViolation(
                $form,
                new NamedValidationConstraint($errorType, $statusCode),
                $errorMessage,
                $propertyPath
            );
        }

        public static function addFormConstraintViolation(
            FormInterface $form,
            Constraint $constraint,
            ?string $errorMessage = null,
            ?string $propertyPath = null
        ): void {
            if (!$errorMessage && property_exists($constraint, 'message')) {
                $errorMessage = $constraint->message;
            }
            if (null === $propertyPath) {
                $propertyPath = '';
            } else {
                $propertyPath = self::resolvePropertyPath($form, $propertyPath);
            }
            $violation = new ConstraintViolation($errorMessage, null, [], '', $propertyPath, '', null, null, $constraint);
            $form->addError(self::createFormError($violation));
        }

        private static function createFormError(ConstraintViolation $violation): FormError
        {
            return new FormError(
                $violation->getMessage(),
                $violation->getMessageTemplate(),
                $violation->getParameters(),
                $violation->getPlural(),
                $violation
            );
        }

        private static function resolvePropertyPath(FormInterface $form, string $propertyPath): string
        {
            $path = [];
            while (null !== $form->getParent()) {
                $path[] = $form->getName();
                $form = $form->getParent();
            }
            $path = array_merge(array_reverse($path), explode('.', $propertyPath));
            $path = array_map(
                function ($item) {
                    return sprintf('children[%s]', $item);
                },
                $path
            );

            return implode('.', $path);
        }
    }
}
