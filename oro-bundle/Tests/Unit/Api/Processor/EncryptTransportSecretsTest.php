<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\Api\Processor;

use Oro\Bundle\DotmailerBundle\Entity\DotmailerTransport;
use Oro\Bundle\SecurityBundle\Encoder\SymmetricCrypterInterface;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Processor\EncryptTransportSecrets;
use Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\ApiForms;
use Symfony\Component\Form\FormInterface;

/**
 * The transport secrets through a real form, as OroCRMDotmailerBundle's
 * Form/EventListener/IntegrationSettingsSubscriber::preSubmit treats them in the UI.
 */
final class EncryptTransportSecretsTest extends TestCase
{
    private const FIELDS = ['username', 'password', 'clientId', 'clientKey', 'customDomain'];

    /** A reversible stand-in for oro_security.encoder.default (DefaultCrypter), recording what it encrypts. */
    private SymmetricCrypterInterface $crypter;

    protected function setUp(): void
    {
        $this->crypter = new class () implements SymmetricCrypterInterface {
            public array $encrypted = [];

            public function encryptData($data)
            {
                $this->encrypted[] = $data;

                return 'encrypted(' . $data . ')';
            }

            public function decryptData($data)
            {
                return substr($data, \strlen('encrypted('), -1);
            }
        };
    }

    public function testCreateStoresBothSecretsEncrypted(): void
    {
        $transport = new DotmailerTransport();
        $this->form($transport)->submit([
            'username' => 'apiuser-1a2b3c@apiconnector.com',
            'password' => 'Secret-pass-1',
            'clientId' => '1234',
            'clientKey' => 'oauth-secret',
        ], false);

        self::assertSame(
            ['apiuser-1a2b3c@apiconnector.com', 'encrypted(Secret-pass-1)', '1234', 'encrypted(oauth-secret)', null],
            $this->values($transport)
        );
        self::assertSame(['Secret-pass-1', 'oauth-secret'], $this->crypter->encrypted);
    }

    public function testAnEmptyOrNullSecretOnUpdateKeepsTheStoredCiphertext(): void
    {
        $transport = $this->stored();
        $this->form($transport)->submit(['username' => 'renamed@apiconnector.com', 'password' => '', 'clientKey' => null], false);

        self::assertSame(
            ['renamed@apiconnector.com', 'encrypted(old-password)', 'client-1', 'encrypted(old-key)', null],
            $this->values($transport)
        );
        self::assertSame([], $this->crypter->encrypted);
    }

    public function testAnOmittedSecretIsKeptAndAGivenOneReplaced(): void
    {
        $transport = $this->stored();
        $this->form($transport)->submit(['clientKey' => 'new-key'], false);

        self::assertSame(
            ['apiuser@apiconnector.com', 'encrypted(old-password)', 'client-1', 'encrypted(new-key)', null],
            $this->values($transport)
        );
        self::assertSame(['new-key'], $this->crypter->encrypted);
    }

    public function testAnEmptyPasswordOnCreateStaysEmptyForTheNotBlankRule(): void
    {
        $transport = new DotmailerTransport();
        $this->form($transport)->submit(['username' => 'apiuser@apiconnector.com', 'password' => ''], false);

        self::assertSame(['apiuser@apiconnector.com', null, null, null, null], $this->values($transport));
        self::assertSame([], $this->crypter->encrypted);
    }

    public function testAValueThatIsNotAStringIsLeftToTheForm(): void
    {
        $transport = $this->stored();
        $form = $this->form($transport);
        $form->submit(['password' => ['not', 'text']], false);

        self::assertFalse($form->get('password')->isSynchronized());
        self::assertSame('encrypted(old-password)', $transport->getPassword());
        self::assertSame([], $this->crypter->encrypted);
    }

    private function form(DotmailerTransport $transport): FormInterface
    {
        return ApiForms::create($transport, self::FIELDS, ['pre_submit' => new EncryptTransportSecrets($this->crypter)]);
    }

    private function stored(): DotmailerTransport
    {
        $transport = new DotmailerTransport();
        $transport->setUsername('apiuser@apiconnector.com');
        $transport->setPassword('encrypted(old-password)');
        $transport->setClientId('client-1');
        $transport->setClientKey('encrypted(old-key)');

        return $transport;
    }

    private function values(DotmailerTransport $transport): array
    {
        return [
            $transport->getUsername(),
            $transport->getPassword(),
            $transport->getClientId(),
            $transport->getClientKey(),
            $transport->getCustomDomain(),
        ];
    }
}
