<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\Resources;

use Oro\Bundle\DotmailerBundle\Entity\DotmailerTransport;
use Oro\Bundle\IntegrationBundle\Entity\Channel;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;
use Symfony\Component\Validator\ConstraintViolationInterface;
use Symfony\Component\Validator\Validation;
use Symfony\Component\Validator\Validator\ValidatorInterface;

/**
 * Resources/config/validation.yml read by Symfony's own YAML loader. API forms validate the groups Default and
 * api (oroinc/platform src/Oro/Bundle/ApiBundle/Form/FormHelper.php); the UI's forms never validate "api".
 */
final class ValidationTest extends TestCase
{
    private const API = ['Default', 'api'];

    private ValidatorInterface $validator;

    protected function setUp(): void
    {
        $this->validator = Validation::createValidatorBuilder()
            ->addYamlMapping(\dirname(__DIR__, 3) . '/Resources/config/validation.yml')
            ->getValidator();
    }

    public function testATransportWithoutAPasswordIsRefusedByTheApiOnly(): void
    {
        $transport = new DotmailerTransport();
        $transport->setUsername('apiuser@apiconnector.com');

        self::assertSame([['password', 'This value should not be blank.']], $this->violations($transport, self::API));
        self::assertSame([], $this->violations($transport, ['Default', 'Create']));
    }

    public function testATransportWithAStoredPasswordPasses(): void
    {
        $transport = new DotmailerTransport();
        $transport->setPassword('encrypted(secret)');

        self::assertSame([], $this->violations($transport, self::API));
    }

    public function testTheApiWritesDotmailerIntegrationsOnly(): void
    {
        $dotmailer = (new Channel())->setType('dotmailer');
        $other = (new Channel())->setType('magento2');

        self::assertSame([], $this->violations($dotmailer, self::API));
        self::assertSame([['type', 'The value you selected is not a valid choice.']], $this->violations($other, self::API));
        self::assertSame([], $this->violations($other, ['Default']));
    }

    public function testASyncNeedsAnIntegration(): void
    {
        self::assertSame(
            [['integration', 'This value should not be blank.']],
            $this->violations(new IntegrationSync(), self::API)
        );
        $sync = new IntegrationSync();
        $sync->setIntegration(new Channel());
        self::assertSame([], $this->violations($sync, self::API));
    }

    /** @return array<int, array{string, string}> */
    private function violations(object $value, array $groups): array
    {
        return array_map(
            static fn (ConstraintViolationInterface $v) => [$v->getPropertyPath(), $v->getMessage()],
            iterator_to_array($this->validator->validate($value, null, $groups))
        );
    }
}
