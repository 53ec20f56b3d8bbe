<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\Api\Processor;

use Oro\Bundle\ApiBundle\Form\NamedValidationConstraint;
use Oro\Bundle\IntegrationBundle\Entity\Channel;
use Oro\Bundle\IntegrationBundle\Manager\TypesRegistry;
use Oro\Bundle\IntegrationBundle\Provider\ConnectorInterface;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;
use Reconciler\Bundle\DotmailerApiBundle\Api\Processor\ValidateIntegrationSync;
use Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\ApiForms;
use Symfony\Component\Form\FormError;
use Symfony\Component\Form\FormInterface;
use Symfony\Component\Security\Core\Authorization\AuthorizationCheckerInterface;
use Symfony\Component\Security\Core\Exception\AccessDeniedException;

/**
 * What would make Oro accept a sync and never run it: a disabled integration
 * (IntegrationBundle/Async/SyncIntegrationProcessor.php), a connector the integration does not have
 * (IntegrationBundle/Provider/SyncProcessor.php), or a user who may not schedule it (the AclAncestor of
 * IntegrationController::scheduleAction).
 */
final class ValidateIntegrationSyncTest extends TestCase
{
    private TypesRegistry $registry;
    private AuthorizationCheckerInterface $checker;

    protected function setUp(): void
    {
        $this->checker = new class () implements AuthorizationCheckerInterface {
            /** @var array<string, bool> permission => granted */
            public array $granted = ['EDIT' => true];
            public array $asked = [];

            public function isGranted($attribute, $subject = null): bool
            {
                $this->asked[] = [$attribute, $subject];

                return $this->granted[$attribute] ?? false;
            }
        };
        $this->registry = new TypesRegistry();
        foreach (['address_book', 'contact', 'datafield'] as $type) {
            $this->registry->addConnectorType($type, 'dotmailer', $this->connector($type));
        }
    }

    public function testAnEnabledIntegrationAndAKnownConnectorPass(): void
    {
        $integration = $this->integration(enabled: true);
        $form = $this->submitted($integration, ['connector' => 'datafield']);

        $this->validate($form);

        self::assertSame([], $this->errors($form));
        self::assertSame([['EDIT', $integration]], $this->checker->asked);
        self::assertSame('datafield', $form->getData()->getConnector());
    }

    public function testNoConnectorMeansAllOfThemAndPasses(): void
    {
        $form = $this->submitted($this->integration(enabled: true), []);

        $this->validate($form);

        self::assertSame([], $this->errors($form));
    }

    public function testADisabledIntegrationIsRefusedOnTheIntegrationField(): void
    {
        $form = $this->submitted($this->integration(enabled: false), []);

        $this->validate($form);

        self::assertSame(
            [['integration constraint', 'The integration is disabled.', 'children[integration]']],
            $this->errors($form)
        );
    }

    public function testAnUnknownConnectorIsRefusedWithTheKnownOnes(): void
    {
        $form = $this->submitted($this->integration(enabled: true), ['connector' => 'contacts']);

        $this->validate($form);

        self::assertSame(
            [[
                'value constraint',
                'The connector "contacts" is not a connector of "dotmailer" integrations. '
                . 'Known connectors: address_book, contact, datafield.',
                'children[connector]',
            ]],
            $this->errors($form)
        );
    }

    public function testAUserWhoMayNotEditTheIntegrationIsDenied(): void
    {
        $this->checker->granted = ['EDIT' => false];
        $form = $this->submitted($this->integration(enabled: true), []);

        $this->expectException(AccessDeniedException::class);
        $this->expectExceptionMessage('No access to schedule a sync of this integration.');
        $this->validate($form);
    }

    public function testAFormWithErrorsAlreadyIsLeftAsItIs(): void
    {
        $this->checker->granted = ['EDIT' => false];
        $form = $this->submitted($this->integration(enabled: false), ['connector' => 'contacts']);
        $form->addError(new FormError('The integration should not be blank.'));

        $this->validate($form);

        self::assertSame([], $this->checker->asked);
        self::assertSame(['The integration should not be blank.'], array_map(
            static fn (FormError $error) => $error->getMessage(),
            iterator_to_array($form->getErrors())
        ));
    }

    private function validate(FormInterface $form): void
    {
        (new ValidateIntegrationSync($this->registry, $this->checker))->process(ApiForms::contextOf($form));
    }

    private function submitted(Channel $integration, array $data): FormInterface
    {
        $sync = new IntegrationSync();
        $sync->setIntegration($integration);
        $form = ApiForms::create($sync, ['connector'], []);
        $form->submit($data, false);

        return $form;
    }

    private function integration(bool $enabled): Channel
    {
        $channel = new Channel();
        $channel->setType('dotmailer');
        $channel->setEnabled($enabled);

        return $channel;
    }

    /** @return array<int, array{string, string, string}> [constraint type, message, violation path] */
    private function errors(FormInterface $form): array
    {
        $errors = [];
        foreach ($form->getErrors() as $error) {
            $constraint = $error->getCause()->getConstraint();
            self::assertInstanceOf(NamedValidationConstraint::class, $constraint);
            $errors[] = [$constraint->getConstraintType(), $error->getMessage(), $error->getCause()->getPropertyPath()];
        }

        return $errors;
    }

    private function connector(string $type): ConnectorInterface
    {
        return new class ($type) implements ConnectorInterface {
            public function __construct(private string $label)
            {
            }

            public function getLabel()
            {
                return $this->label;
            }
        };
    }
}
