<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Api\Processor;

use Oro\Bundle\ApiBundle\Processor\CustomizeFormData\CustomizeFormDataContext;
use Oro\Bundle\SecurityBundle\Encoder\SymmetricCrypterInterface;
use Oro\Component\ChainProcessor\ContextInterface;
use Oro\Component\ChainProcessor\ProcessorInterface;

/**
 * Stores the "password" and "clientKey" of a dotdigital transport encrypted, as the integration form does,
 * and keeps the stored value when a request sends an empty one.
 *
 * This is the API twin of OroCRMDotmailerBundle's Form/EventListener/IntegrationSettingsSubscriber::preSubmit
 * (a FormEvents::PRE_SUBMIT listener wired with "@oro_security.encoder.default" in its
 * Resources/config/services.yml): for each secret, an empty submitted value is replaced by the value the
 * form already holds (the stored ciphertext), and a non-empty one is encrypted with the same crypter, which
 * is the one the transport decrypts with (Provider/Transport/DotmailerTransport.php::init, Model/OAuthManager.php).
 * It runs on the "pre_submit" event of "customize_form_data" (oroinc/platform
 * src/Oro/Bundle/ApiBundle/Processor/CustomizeFormData/CustomizeFormDataContext.php), where the context data is
 * the submitted array keyed by field name, as in the stock AttachmentBundle/Api/Processor/HandleFileContent.php.
 * Unlike the UI subscriber it never encrypts an empty value, so that a create without a password is refused by
 * the NotBlank rule this bundle adds in the "api" validation group (Resources/config/validation.yml), and it
 * leaves a value that is not a string to the form, which refuses it.
 */
class EncryptTransportSecrets implements ProcessorInterface
{
    private const SECRET_FIELDS = ['password', 'clientKey'];

    private SymmetricCrypterInterface $crypter;

    public function __construct(SymmetricCrypterInterface $crypter)
    {
        $this->crypter = $crypter;
    }

    public function process(ContextInterface $context): void
    {
        /** @var CustomizeFormDataContext $context */

        $data = $context->getData();
        if (!\is_array($data)) {
            return;
        }
        $form = $context->getForm();
        foreach (self::SECRET_FIELDS as $field) {
            if (!\array_key_exists($field, $data) || !$form->has($field)) {
                continue;
            }
            $value = $data[$field];
            if (null === $value || '' === $value) {
                $stored = $form->get($field)->getData();
                if (null !== $stored && '' !== $stored) {
                    $data[$field] = $stored;
                }
            } elseif (\is_string($value)) {
                $data[$field] = $this->crypter->encryptData($value);
            }
        }
        $context->setData($data);
    }
}
